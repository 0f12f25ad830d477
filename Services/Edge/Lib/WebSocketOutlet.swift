import EngineIO
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
        guard channel.isActive else { return }
        if let encoder {
            encoder.write(NIOAny(bytes), promise: nil)
            encoder.flush()
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

/// WebSocket framing (RFC 6455 §5.2, server to client: unmasked, one fragment) of Engine.IO
/// frames, done once however many sockets take them.
enum WebSocketFrameBytes {
    /// `frames` framed one after another in one buffer.
    static func encode(_ frames: [EngineIO.WebSocketFrame], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frames.reduce(0) { $0 + $1.byteCount + 10 })
        for frame in frames {
            switch frame {
            case .text(let text):
                writeHeader(opcode: 0x1, length: text.utf8.count, into: &buffer)
                buffer.writeString(text)
            case .binary(let bytes):
                writeHeader(opcode: 0x2, length: bytes.count, into: &buffer)
                buffer.writeBytes(bytes)
            }
        }
        return buffer
    }

    /// FIN and the opcode, then the payload length in 7 bits, 7 + 16 or 7 + 64.
    private static func writeHeader(opcode: UInt8, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode)
        switch length {
        case ..<126:
            buffer.writeInteger(UInt8(length))
        case ...Int(UInt16.max):
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
    }
}
