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
        var writer = WireWriter()
        writer.bytes.reserveCapacity(160 + id.utf8.count + from.utf8.count + (traceparent?.utf8.count ?? 0))
        writer.open()
        // Members in the UTF-8 order of their keys.
        if let ack { writer.member("ack"); writer.bool(ack) }
        if let auth { writer.member("auth"); writer.string(auth) }
        if let edge { writer.member("edge"); writer.string(edge) }
        if let error { writer.member("error"); writer.string(error) }
        if let event { writer.member("event"); writer.string(event) }
        writer.member("from"); writer.string(from)
        writer.member("id"); writer.string(id)
        if let ip { writer.member("ip"); writer.string(ip) }
        if let ns { writer.member("ns"); writer.string(ns) }
        if let re { writer.member("re"); writer.string(re) }
        if let replyTo { writer.member("replyTo"); writer.string(replyTo) }
        if let sid { writer.member("sid"); writer.string(sid) }
        if let traceparent { writer.member("traceparent"); writer.string(traceparent) }
        writer.member("ts"); writer.integer(ts)
        writer.member("type"); writer.string(type.rawValue)
        if let user {
            writer.member("user")
            writer.open()
            writer.member("id"); writer.string(user.id)
            if let name = user.name { writer.member("name"); writer.string(name) }
            if let role = user.role { writer.member("role"); writer.string(role) }
            writer.close()
        }
        writer.member("v"); writer.integer(Int64(v))
        writer.close()
        return Data(writer.bytes)
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

/// Appends compact JSON to a byte buffer, escaping strings as `JSONEncoder` does.
private struct WireWriter {
    var bytes: [UInt8] = []
    private var first = true

    mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// `"key":`, after a comma unless it is the object's first member. Keys need no escaping.
    mutating func member(_ key: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        append(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func bool(_ value: Bool) {
        append(value ? "true" : "false")
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func integer(_ value: Int64) {
        var text = String(value)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A quoted string: `"` and `\` backslashed, control characters as `\b \f \n \r \t` or
    /// `\u00xx` (lowercase hex), everything else (`/` and non-ASCII included) as is.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var mark = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"")
                || byte == UInt8(ascii: "\\")
            {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark..<index]))
                mark = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    append("u00")
                    bytes.append(byte >> 4 == 0 ? UInt8(ascii: "0") : UInt8(ascii: "1"))
                    let low = byte & 0xF
                    bytes.append(low < 10 ? UInt8(ascii: "0") + low : UInt8(ascii: "a") + low - 10)
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
