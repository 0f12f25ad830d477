import EngineIO
import NIOCore

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
