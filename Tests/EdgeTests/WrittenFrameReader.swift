import NIOCore
import NIOWebSocket

/// Test support: the bytes a WebSocket pipeline writes (NIO's frame encoder's output and the
/// edge's pre-framed broadcasts alike), read back into whole frames, so that a test reads what
/// the client would get as ``WebSocketFrame``s. Server frames are unmasked.
final class WrittenFrameReader: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    /// Bytes of a frame not complete yet (the encoder writes a header and its payload apart).
    private var partial = ByteBuffer()
    /// Writes that reached the channel's head, and flushes.
    private(set) var writes = 0, flushes = 0
    /// Called before each write is read: a test's way to act while the edge is writing.
    var beforeWrite: (() -> Void)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        writes += 1
        beforeWrite?()
        var bytes = unwrapOutboundIn(data)
        partial.writeBuffer(&bytes)
        while let frame = nextFrame() {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
        promise?.succeed(())
    }

    func flush(context: ChannelHandlerContext) {
        flushes += 1
        context.flush()
    }

    /// The first whole frame of `partial`, taken out of it.
    private func nextFrame() -> WebSocketFrame? {
        var view = partial
        guard let first = view.readInteger(as: UInt8.self), let second = view.readInteger(as: UInt8.self),
              let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)
        else { return nil }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let long = view.readInteger(as: UInt16.self) else { return nil }
            length = Int(long)
        } else if length == 127 {
            guard let long = view.readInteger(as: UInt64.self) else { return nil }
            length = Int(long)
        }
        guard let payload = view.readSlice(length: length) else { return nil }
        partial = view
        partial.discardReadBytes()
        return WebSocketFrame(fin: first & 0x80 != 0, opcode: opcode, data: payload)
    }
}
