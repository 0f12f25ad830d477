import NIOCore
import NIOWebSocket

/// Where the frames of one WebSocket leave: bytes already in WebSocket framing, gathered over
/// one loop turn and written as one buffer with one flush (``EdgeLoop/write(_:to:)``).
///
/// The bytes are written from the frame encoder's context, so they pass only the channel's
/// head: none of the handlers above it (aggregator, decoder, encoder) is walked per frame. A
/// broadcast hands every outlet the same buffer (``WebSocketFrameBytes``), which is written as
/// it is; only an outlet given a second buffer in one turn copies, to join the two.
final class WebSocketOutlet {
    /// The WebSocket's channel.
    let channel: Channel
    /// The frame encoder's context: a write from it goes straight to the channel's head. `nil`
    /// when the channel is of another loop (a polling session's upgrade that came in there).
    private let encoder: ChannelHandlerContext?
    /// This turn's bytes, not written yet.
    private var pending: ByteBuffer?

    /// The outlet of `channel`, a WebSocket pipeline (it has NIO's frame encoder).
    init(channel: Channel) throws {
        self.channel = channel
        encoder = channel.eventLoop.inEventLoop
            ? try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self) : nil
    }

    /// Adds framed bytes to this turn's write; `true` when nothing was pending before (the
    /// caller then queues the outlet to be drained at the end of the turn).
    func append(_ bytes: ByteBuffer) -> Bool {
        guard var joined = pending else {
            pending = bytes
            return true
        }
        pending = nil
        joined.writeImmutableBuffer(bytes)
        pending = joined
        return false
    }

    /// Writes and flushes what is pending: at the end of the loop turn, and before the
    /// WebSocket is closed (so a close frame follows the frames sent before it).
    func drain() {
        guard let bytes = pending else { return }
        pending = nil
        // A closed channel drops the write (there is no promise to fail).
        if let encoder {
            encoder.writeAndFlush(NIOAny(bytes), promise: nil)
            return
        }
        let channel = self.channel
        channel.eventLoop.execute {
            guard let encoder = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
            else { return }
            encoder.write(NIOAny(bytes), promise: nil)
            encoder.flush()
        }
    }
}
