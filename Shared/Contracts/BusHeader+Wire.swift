import Foundation

// Hand-written coding of frame 1. The header is coded on every bus message, and going through
// `JSONEncoder`/`JSONDecoder` cost ~20% of a bus round trip's CPU in a profile. Both functions
// here are exact stand-ins for `JSONCoding`:
//
// - `wireData()` writes the same bytes as `JSONCoding.encode(header)`: compact, members in the
//   UTF-8 order of their keys (swift-foundation's `.sortedKeys` on Linux), absent optionals
//   left out, `/` not escaped, and strings escaped exactly as `JSONEncoder` escapes them.
// - `init?(wire:)` reads only a plain subset of JSON, and gives up (`nil`) on anything else:
//   backslash escapes, unknown or repeated members, numbers with a fraction or an exponent,
//   values of the wrong JSON type, missing required members, malformed text. The caller then
//   decodes with `JSONCoding`, which accepts and rejects exactly what it always did. What the
//   subset accepts, `JSONDecoder` accepts too, with the same result.

extension BusHeader {
    /// Frame 1 for this header: byte for byte `JSONCoding.encode(self)`, without `JSONEncoder`.
    package func wireData() -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + id.utf8.count + from.utf8.count + (traceparent?.utf8.count ?? 0))
        var object = JSONObjectWriter()
        bytes.append(UInt8(ascii: "{"))
        // Members in the UTF-8 order of their keys.
        if let ack { object.bool("ack", ack, &bytes) }
        if let auth { object.string("auth", auth, &bytes) }
        if let edge { object.string("edge", edge, &bytes) }
        if let error { object.string("error", error, &bytes) }
        if let event { object.string("event", event, &bytes) }
        object.string("from", from, &bytes)
        object.string("id", id, &bytes)
        if let ip { object.string("ip", ip, &bytes) }
        if let ns { object.string("ns", ns, &bytes) }
        if let re { object.string("re", re, &bytes) }
        if let replyTo { object.string("replyTo", replyTo, &bytes) }
        if let sid { object.string("sid", sid, &bytes) }
        if let traceparent { object.string("traceparent", traceparent, &bytes) }
        object.integer("ts", ts, &bytes)
        object.string("type", type.rawValue, &bytes)
        if let user {
            object.key("user", &bytes)
            var fields = JSONObjectWriter()
            bytes.append(UInt8(ascii: "{"))
            fields.string("id", user.id, &bytes)
            if let name = user.name { fields.string("name", name, &bytes) }
            if let role = user.role { fields.string("role", role, &bytes) }
            bytes.append(UInt8(ascii: "}"))
        }
        object.integer("v", Int64(v), &bytes)
        bytes.append(UInt8(ascii: "}"))
        return Data(bytes)
    }

    /// Reads frame 1 when it is plain JSON (see above); `nil` means "decode it with `JSONCoding`",
    /// which then gives the header or the precise error.
    package init?(wire data: Data) {
        guard let header = data.withUnsafeBytes({ BusHeader(wire: $0) }) else { return nil }
        self = header
    }

    /// The same reading straight from bytes held elsewhere (a libzmq message), without copying them.
    package init?(wire bytes: UnsafeRawBufferPointer) {
        var reader = WireReader(bytes.bindMemory(to: UInt8.self))
        guard let header = try? reader.header() else { return nil }
        self = header
    }
}
