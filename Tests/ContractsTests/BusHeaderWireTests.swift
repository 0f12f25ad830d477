import Foundation
import Testing
@testable import Contracts

/// The hand-written header coding must give exactly what JSONEncoder/JSONDecoder give.
@Suite struct BusHeaderWireTests {
    static let pieces = ["a", "Z", "0", "/", "\"", "\\", "\n", "\t", "\u{01}", "é", "漢", "😀", " ", "-", "{", "}"]

    func text(_ generator: inout SplitMix) -> String {
        (0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.pieces.randomElement(using: &generator)! }
            .joined()
    }

    func maybe(_ generator: inout SplitMix) -> String? {
        Bool.random(using: &generator) ? text(&generator) : nil
    }

    func header(_ generator: inout SplitMix) -> BusHeader {
        var header = BusHeader(type: MessageType.allCases.randomElement(using: &generator)!, from: text(&generator),
                               id: text(&generator), re: maybe(&generator),
                               ts: Int64.random(in: -1_000_000...Int64.max, using: &generator))
        header.traceparent = maybe(&generator)
        header.ns = maybe(&generator)
        header.event = maybe(&generator)
        header.sid = maybe(&generator)
        header.edge = maybe(&generator)
        header.ip = maybe(&generator)
        header.replyTo = maybe(&generator)
        header.error = maybe(&generator)
        header.auth = maybe(&generator)
        header.ack = Bool.random(using: &generator) ? Bool.random(using: &generator) : nil
        if Bool.random(using: &generator) {
            header.user = Identity(id: text(&generator), role: maybe(&generator), name: maybe(&generator))
        }
        return header
    }

    @Test func randomHeadersEncodeToJSONEncodersBytesAndDecodeBack() throws {
        var generator = SplitMix(state: 42)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<5_000 {
            let header = header(&generator)
            let reference = try encoder.encode(header)
            #expect(header.wireData() == reference, "\(String(decoding: reference, as: UTF8.self))")
            #expect(try JSONCoding.decode(BusHeader.self, from: header.wireData()) == header)
            // The fast reader either reads the header exactly or declines (escapes and other
            // unusual input go to JSONDecoder).
            if let fast = BusHeader(wire: header.wireData()) { #expect(fast == header) }
        }
    }

    @Test func plainHeadersTakeTheFastReader() {
        var header = BusHeader(type: .event, from: "edge-4f2a9c", id: "0123456789abcdef01234567", ts: 1_795_326_143_765)
        header.ns = "/user"
        header.event = "call:initiate"
        header.sid = "5UMMGvviK_vc4DLjthyC"
        header.user = Identity(id: "507f1f77bcf86cd799439011", role: "USER", name: "Ann")
        header.ack = true
        header.auth = "jwt"
        #expect(BusHeader(wire: header.wireData()) == header)
    }
}
