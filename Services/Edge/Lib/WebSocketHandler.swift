import EngineIO
import NIOCore
import NIOWebSocket

/// Writes Engine.IO frames to a WebSocket channel, and closes it politely.
enum WebSocketWriter {
    /// One WebSocket frame per Engine.IO frame, not flushed: the loop flushes each channel once
    /// per event-loop turn (``EdgeLoop/write(_:to:)``).
    static func write(_ frames: [EngineIO.WebSocketFrame], to channel: Channel) {
        for frame in frames {
            switch frame {
            case .text(let text):
                let buffer = channel.allocator.buffer(string: text)
                channel.write(NIOWebSocket.WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
            case .binary(let bytes):
                let buffer = channel.allocator.buffer(bytes: bytes)
                channel.write(NIOWebSocket.WebSocketFrame(fin: true, opcode: .binary, data: buffer), promise: nil)
            }
        }
    }

    /// Sends a close frame (normal closure) and closes the channel.
    static func close(_ channel: Channel) {
        close(channel, code: .normalClosure)
    }

    /// Sends a close frame with `code` and closes the channel.
    static func close(_ channel: Channel, code: WebSocketCloseCode) {
        guard channel.isActive else { return }
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: Int(code.rawValue)))
        let frame = NIOWebSocket.WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        channel.writeAndFlush(frame).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// One WebSocket connection: a new Engine.IO session, or the upgrade of a polling one.
final class WebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = NIOWebSocket.WebSocketFrame
    typealias OutboundOut = NIOWebSocket.WebSocketFrame

    /// What the WebSocket was opened for.
    enum Purpose {
        /// A new session (`transport=websocket`, no sid), of a plain Engine.IO endpoint when
        /// `plain` names its bus namespace.
        case handshake(listener: Int, address: String, cookie: String?, plain: String?)
        /// An upgrade of the polling session `sid`.
        case upgrade(sid: String)
    }

    private let edge: EdgeLoop
    private let purpose: Purpose
    private var driver: ConnectionDriver?

    /// A handler for a WebSocket of the loop of `edge`, opened for `purpose`.
    init(edge: EdgeLoop, purpose: Purpose) {
        self.edge = edge
        self.purpose = purpose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        switch purpose {
        case .handshake(let listener, let address, let cookie, let plain):
            driver = edge.open(transport: .websocket, listener: listener, address: address, cookie: cookie,
                               webSocket: channel, incoming: nil, plain: plain)
        case .upgrade(let sid):
            guard let driver = edge.driver(sid) else {
                WebSocketWriter.close(channel)
                return
            }
            self.driver = driver
            driver.engine(.upgradeRequested, webSocket: channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            guard let text = String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) else {
                deliverInvalidText(context: context)
                return
            }
            deliver(.text(text), context: context)
        case .binary:
            var buffer = frame.unmaskedData
            deliver(.binary(buffer.readBytes(length: buffer.readableBytes) ?? []), context: context)
        case .ping:
            let pong = NIOWebSocket.WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            WebSocketWriter.close(context.channel)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        defer { context.fireChannelInactive() }
        guard let driver, driver.isOpen else { return }
        if driver.currentWebSocket === context.channel {
            driver.engine(.channelClosed(.webSocket(.current)))
        } else if driver.probeWebSocket === context.channel {
            driver.engine(.channelClosed(.webSocket(.probe)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// A text frame that is not UTF-8: the session closes the WebSocket with 1007.
    private func deliverInvalidText(context: ChannelHandlerContext) {
        guard let driver, driver.isOpen else {
            WebSocketWriter.close(context.channel, code: .invalidPayload)
            return
        }
        let channel: WebSocketChannel = driver.currentWebSocket === context.channel ? .current : .probe
        driver.engine(.invalidTextFrame(on: channel), webSocket: context.channel)
    }

    private func deliver(_ frame: EngineIO.WebSocketFrame, context: ChannelHandlerContext) {
        guard let driver, driver.isOpen else { return }
        let channel: WebSocketChannel = driver.currentWebSocket === context.channel ? .current : .probe
        driver.engine(.frameReceived(frame, on: channel), webSocket: context.channel)
    }
}
