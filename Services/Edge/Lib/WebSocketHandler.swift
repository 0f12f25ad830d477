import EngineIO
import NIOCore
import NIOWebSocket

/// Writes Engine.IO frames to a WebSocket channel, and closes it politely.
enum WebSocketWriter {
    /// One WebSocket frame per Engine.IO frame, not flushed: the hub flushes each channel once
    /// per event-loop turn (``EdgeHub/write(_:to:)``).
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
        guard channel.isActive else { return }
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: .normalClosure)
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
        /// A new session (`transport=websocket`, no sid).
        case handshake(listener: Int, address: String, cookie: String?)
        /// An upgrade of the polling session `sid`.
        case upgrade(sid: String)
    }

    private let hub: EdgeHub
    private let purpose: Purpose
    private var connection: Connection?

    init(hub: EdgeHub, purpose: Purpose) {
        self.hub = hub
        self.purpose = purpose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        switch purpose {
        case .handshake(let listener, let address, let cookie):
            connection = hub.open(transport: .websocket, listener: listener, address: address, cookie: cookie,
                                  webSocket: channel, incoming: nil)
        case .upgrade(let sid):
            guard let connection = hub.connections[sid] else {
                WebSocketWriter.close(channel)
                return
            }
            self.connection = connection
            hub.engine(.upgradeRequested, on: connection, webSocket: channel)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            var buffer = frame.unmaskedData
            deliver(.text(buffer.readString(length: buffer.readableBytes) ?? ""), context: context)
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
        guard let connection, connection.connectionIsOpen else { return }
        if connection.currentWebSocket === context.channel {
            hub.engine(.channelClosed(.webSocket(.current)), on: connection)
        } else if connection.probeWebSocket === context.channel {
            hub.engine(.channelClosed(.webSocket(.probe)), on: connection)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func deliver(_ frame: EngineIO.WebSocketFrame, context: ChannelHandlerContext) {
        guard let connection, connection.connectionIsOpen else { return }
        let channel: WebSocketChannel = connection.currentWebSocket === context.channel ? .current : .probe
        hub.engine(.frameReceived(frame, on: channel), on: connection, webSocket: context.channel)
    }
}
