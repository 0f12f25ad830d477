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
    /// The session it serves: here, or, for the upgrade of a polling session that began on
    /// another loop, that loop's session of this id (reached by hopping, `EdgeLoop+Sessions`).
    private var session: (driver: ConnectionDriver?, home: LoopHandle, sid: String)?

    /// A handler for a WebSocket of the loop of `edge`, opened for `purpose`.
    init(edge: EdgeLoop, purpose: Purpose) {
        self.edge = edge
        self.purpose = purpose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        switch purpose {
        case .handshake(let listener, let address, let cookie, let plain):
            let driver = edge.open(transport: .websocket, listener: listener, address: address, cookie: cookie,
                                   webSocket: channel, incoming: nil, plain: plain)
            session = (driver, edge.handle, driver.sid)
        case .upgrade(let sid):
            let home = edge.hub.loop(ofSession: sid) ?? edge.handle
            session = (home.isSame(as: edge.handle) ? edge.driver(sid) : nil, home, sid)
            withDriver(orElse: { WebSocketWriter.close(channel) }) { driver in
                driver.engine(.upgradeRequested, webSocket: channel)
            }
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
        let channel = context.channel
        withDriver { driver in
            guard driver.isOpen else { return }
            if driver.currentWebSocket === channel {
                driver.engine(.channelClosed(.webSocket(.current)))
            } else if driver.probeWebSocket === channel {
                driver.engine(.channelClosed(.webSocket(.probe)))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// A text frame that is not UTF-8: the session closes the WebSocket with 1007.
    private func deliverInvalidText(context: ChannelHandlerContext) {
        let webSocket = context.channel
        withDriver(orElse: { WebSocketWriter.close(webSocket, code: .invalidPayload) }) { driver in
            guard driver.isOpen else { return WebSocketWriter.close(webSocket, code: .invalidPayload) }
            let channel: WebSocketChannel = driver.currentWebSocket === webSocket ? .current : .probe
            driver.engine(.invalidTextFrame(on: channel), webSocket: webSocket)
        }
    }

    /// Runs `body` with the session's connection on its loop: at once when it is this loop's,
    /// else there; `orElse` (on whichever loop found none) when the session is not known.
    private func withDriver(orElse: @escaping @Sendable () -> Void = {},
                            _ body: @escaping @Sendable (ConnectionDriver) -> Void)
    {
        guard let session else { return orElse() }
        if session.home.isSame(as: edge.handle) {
            guard let driver = session.driver else { return orElse() }
            body(driver)
            return
        }
        let sid = session.sid
        session.home.execute { loop in
            guard let driver = loop.driver(sid) else { return orElse() }
            body(driver)
        }
    }

    private func deliver(_ frame: EngineIO.WebSocketFrame, context: ChannelHandlerContext) {
        let webSocket = context.channel
        withDriver { driver in
            guard driver.isOpen else { return }
            let channel: WebSocketChannel = driver.currentWebSocket === webSocket ? .current : .probe
            driver.engine(.frameReceived(frame, on: channel), webSocket: webSocket)
        }
    }
}
