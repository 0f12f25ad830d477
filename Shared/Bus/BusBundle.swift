import Contracts
import Foundation

/// The coding of a bundle: several envelopes of one topic in one two-frame message
/// (docs/bus-protocol.md §3). Frame 1 holds, for each envelope, a 4-byte big-endian header length,
/// the header, a 4-byte big-endian body length and the body. Envelopes with attachments are never
/// bundled.
public enum BusBundle {
    /// The limits of one bundle; a publisher starts a new bundle when the next envelope would
    /// pass either.
    public struct Limits: Sendable, Equatable {
        /// At most this many envelopes. Default 256.
        public var envelopes = 256
        /// At most this many bytes in frame 1 (a single envelope larger than that goes out alone).
        /// Default 65,536.
        public var bytes = 65_536

        /// The defaults.
        public init() {}
    }

    /// Where one envelope lies in frame 1.
    public struct Entry: Equatable, Sendable {
        /// The header's bytes.
        public var header: Range<Int>
        /// The body's bytes.
        public var body: Range<Int>
    }

    /// Bytes one envelope takes in frame 1, given its encoded frames (topic, header, body).
    public static func entrySize(_ frames: [Data]) -> Int {
        8 + frames[1].count + frames[2].count
    }

    /// Frame 1 of a bundle of `messages`, each the encoded frames (topic, header, body) of one
    /// envelope of the bundle's topic.
    public static func pack(_ messages: ArraySlice<[Data]>) -> Data {
        var frame = Data(capacity: messages.reduce(0) { $0 + entrySize($1) })
        for frames in messages {
            appendLength(frames[1].count, to: &frame)
            frame.append(frames[1])
            appendLength(frames[2].count, to: &frame)
            frame.append(frames[2])
        }
        return frame
    }

    /// Splits frame 1 of a bundle into its entries; `nil` when it does not split exactly into
    /// whole entries (or holds none): the bundle is `badBundle`.
    public static func entries(of frame: UnsafeRawBufferPointer) -> [Entry]? {
        var entries: [Entry] = []
        var offset = 0
        while offset < frame.count {
            guard let header = field(at: offset, in: frame),
                  let body = field(at: header.upperBound, in: frame) else { return nil }
            entries.append(Entry(header: header, body: body))
            offset = body.upperBound
        }
        return entries.isEmpty ? nil : entries
    }

    /// Reads a received bundle: one result per envelope, in order, each checked as a single
    /// message would be (§14). Throws `badBundle` when frame 1 does not split into entries.
    public static func decode(topic: Data, frame: Data) throws(EnvelopeError) -> [Result<Envelope, EnvelopeError>] {
        guard let entries = frame.withUnsafeBytes({ entries(of: $0) }) else { throw .badBundle }
        // One topic for all: its text is made once, and each header is read where it lies.
        guard let text = String(data: topic, encoding: .utf8), !text.isEmpty else {
            return entries.map { _ in .failure(.badTopic) }
        }
        return frame.withUnsafeBytes { bytes in
            entries.map { entry in
                Result { () throws(EnvelopeError) in
                    let header = try Envelope.header(UnsafeRawBufferPointer(rebasing: bytes[entry.header]))
                    // The body is copied, so that it indexes from 0 as a frame does.
                    return Envelope(topic: text, header: header,
                                    body: Data(UnsafeRawBufferPointer(rebasing: bytes[entry.body])))
                }
            }
        }
    }

    /// The range of the length-prefixed field that starts at `offset`, if it fits in `frame`.
    private static func field(at offset: Int, in frame: UnsafeRawBufferPointer) -> Range<Int>? {
        guard frame.count - offset >= 4 else { return nil }
        let length = (0..<4).reduce(0) { $0 << 8 | Int(frame[offset + $1]) }
        let start = offset + 4
        guard frame.count - start >= length else { return nil }
        return start..<(start + length)
    }

    private static func appendLength(_ length: Int, to frame: inout Data) {
        let value = UInt32(length)
        frame.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF),
                                  UInt8(value & 0xFF)])
    }
}
