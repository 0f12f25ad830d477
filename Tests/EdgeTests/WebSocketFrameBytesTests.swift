import EngineIO
import NIOCore
import Testing

@testable import Edge

/// RFC 6455 §5.2 framing of a broadcast's frames, written once for every socket.
struct WebSocketFrameBytesTests {
    /// The header bytes before the payload of a frame of `frame`.
    private func header(_ frame: EngineIO.WebSocketFrame) -> [UInt8] {
        let bytes = WebSocketFrameBytes.encode([frame], allocator: ByteBufferAllocator())
        return Array(bytes.readableBytesView.prefix(bytes.readableBytes - frame.byteCount))
    }

    @Test func lengthsTakeSevenSixteenOrSixtyFourBits() {
        #expect(header(.text("42[\"a\"]")) == [0x81, 7])
        #expect(header(.text(String(repeating: "x", count: 125))) == [0x81, 125])
        #expect(header(.text(String(repeating: "x", count: 126))) == [0x81, 126, 0, 126])
        #expect(header(.binary(Array(repeating: 1, count: 65_535))) == [0x82, 126, 0xFF, 0xFF])
        #expect(header(.binary(Array(repeating: 1, count: 65_536))) == [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    @Test func framesFollowEachOtherInOneBuffer() {
        let bytes = WebSocketFrameBytes.encode([.text("451-[\"f\",{\"_placeholder\":true,\"num\":0}]"), .binary([7, 8])],
                                               allocator: ByteBufferAllocator())
        let all = Array(bytes.readableBytesView)
        #expect(all.prefix(2) == [0x81, 39])
        #expect(Array(all.suffix(4)) == [0x82, 2, 7, 8])
    }
}
