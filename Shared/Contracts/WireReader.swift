import Foundation

/// Thrown by ``WireReader`` for anything outside the plain subset it reads.
struct NotPlain: Error {}

/// Reads the plain subset of JSON that ``BusHeader/init(wire:)`` accepts (see BusHeader+Wire.swift),
/// giving up with ``NotPlain`` on anything else.
struct WireReader: ByteScanning {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// One header object and nothing after it but whitespace.
    mutating func header() throws(NotPlain) -> BusHeader {
        var v: Int?, id: String?, type: MessageType?, from: String?, ts: Int64?
        var re: String?, traceparent: String?, ns: String?, event: String?, sid: String?, edge: String?
        var user: Identity?, ack: Bool?, ip: String?, replyTo: String?, error: String?, auth: String?
        var seen = SeenKeys()
        try openObject()
        while let key = try nextKey(first: seen.isEmpty) {
            if key.named("v") { try seen.insert(0); v = try required(Int(exactly: integer())) }
            else if key.named("id") { try seen.insert(1); id = try string() }
            else if key.named("type") { try seen.insert(2); type = try required(MessageType(rawValue: string())) }
            else if key.named("from") { try seen.insert(3); from = try string() }
            else if key.named("ts") { try seen.insert(4); ts = try integer() }
            else if key.named("re") { try seen.insert(5); re = try nullableString() }
            else if key.named("traceparent") { try seen.insert(6); traceparent = try nullableString() }
            else if key.named("ns") { try seen.insert(7); ns = try nullableString() }
            else if key.named("event") { try seen.insert(8); event = try nullableString() }
            else if key.named("sid") { try seen.insert(9); sid = try nullableString() }
            else if key.named("edge") { try seen.insert(10); edge = try nullableString() }
            else if key.named("user") {
                try seen.insert(11); user = try nullable { reader throws(NotPlain) in try reader.identity() }
            }
            else if key.named("ack") { try seen.insert(12); ack = try nullable { reader throws(NotPlain) in try reader.bool() } }
            else if key.named("ip") { try seen.insert(13); ip = try nullableString() }
            else if key.named("replyTo") { try seen.insert(14); replyTo = try nullableString() }
            else if key.named("error") { try seen.insert(15); error = try nullableString() }
            else if key.named("auth") { try seen.insert(16); auth = try nullableString() }
            else { throw NotPlain() }
        }
        skipWhitespace()
        guard index == bytes.count, let v, let id, let type, let from, let ts else { throw NotPlain() }
        var header = BusHeader(type: type, from: from, id: id, re: re, ts: ts)
        header.v = v
        header.traceparent = traceparent
        header.ns = ns
        header.event = event
        header.sid = sid
        header.edge = edge
        header.user = user
        header.ack = ack
        header.ip = ip
        header.replyTo = replyTo
        header.error = error
        header.auth = auth
        return header
    }

    /// `{"id":…,"role":…,"name":…}` with `id` a string, or an integer kept as its decimal text.
    private mutating func identity() throws(NotPlain) -> Identity {
        var id: String?, role: String?, name: String?
        var seen = SeenKeys()
        try openObject()
        while let key = try nextKey(first: seen.isEmpty) {
            if key.named("id") {
                try seen.insert(0)
                id = index < bytes.count && bytes[index] == UInt8(ascii: "\"") ? try string() : String(try integer())
            }
            else if key.named("role") { try seen.insert(1); role = try nullableString() }
            else if key.named("name") { try seen.insert(2); name = try nullableString() }
            else { throw NotPlain() }
        }
        guard let id else { throw NotPlain() }
        return Identity(id: id, role: role, name: name)
    }

    /// Which members of an object were read, to give up on a repeated key.
    private struct SeenKeys {
        private var bits: UInt32 = 0

        var isEmpty: Bool { bits == 0 }

        /// Notes member number `number`; throws when it was read before.
        mutating func insert(_ number: Int) throws(NotPlain) {
            guard bits & (1 << number) == 0 else { throw NotPlain() }
            bits |= 1 << number
        }
    }

    /// `{`, after whitespace.
    private mutating func openObject() throws(NotPlain) {
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
    }

    /// The next member's key, the reader then at its value; `nil` once the object's closing
    /// brace is read. `first` tells whether a member was read before (then a comma comes first).
    /// A key is compared where it lies, not made into a `String`: keys this reader knows are
    /// plain ASCII, so one with an escape or a control character is no key of ours.
    private mutating func nextKey(first: Bool) throws(NotPlain) -> Key? {
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return nil }
        if !first {
            try expect(UInt8(ascii: ","))
            skipWhitespace()
        }
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { throw NotPlain() }
            index += 1
        }
        let key = Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        try expect(UInt8(ascii: "\""))
        skipWhitespace()
        try expect(UInt8(ascii: ":"))
        skipWhitespace()
        return key
    }

    /// A member's key as it lies in the header's bytes.
    private struct Key {
        let bytes: UnsafeBufferPointer<UInt8>

        /// Whether the key is `name`.
        func named(_ name: StaticString) -> Bool {
            bytes.count == name.utf8CodeUnitCount && memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
        }
    }

    /// `null`, or a string.
    private mutating func nullableString() throws(NotPlain) -> String? {
        try nullable { reader throws(NotPlain) in try reader.string() }
    }

    /// `null`, for an optional member that is absent, or else what `read` reads.
    private mutating func nullable<T>(_ read: (inout WireReader) throws(NotPlain) -> T) throws(NotPlain) -> T? {
        if literal("null") { return nil }
        return try read(&self)
    }

    /// A string without backslash escapes or control characters, valid UTF-8.
    private mutating func string() throws(NotPlain) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                // ASCII is valid UTF-8: the faster initializer that does not report errors will do.
                if ascii { return String(decoding: utf8, as: UTF8.self) }
                return try required(String(validating: utf8, as: UTF8.self))
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { throw NotPlain() }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw NotPlain()
    }

    /// An integer in JSON's syntax (`-?(0|[1-9][0-9]*)`) that fits in `Int64`, with no
    /// fraction or exponent after it.
    private mutating func integer() throws(NotPlain) -> Int64 {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflowed) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carried) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflowed, !carried else { throw NotPlain() }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        guard digits == 1 || (digits > 1 && bytes[start] != UInt8(ascii: "0")) else { throw NotPlain() }
        if let after = next, after == UInt8(ascii: ".") || after == UInt8(ascii: "e") || after == UInt8(ascii: "E") {
            throw NotPlain()
        }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return .min }
            return try -required(Int64(exactly: magnitude))
        }
        return try required(Int64(exactly: magnitude))
    }

    /// `true` or `false`.
    private mutating func bool() throws(NotPlain) -> Bool {
        if literal("true") { return true }
        if literal("false") { return false }
        throw NotPlain()
    }

    private mutating func expect(_ byte: UInt8) throws(NotPlain) {
        guard take(byte) else { throw NotPlain() }
    }

    /// `value`, or a throw when there is none.
    private func required<T>(_ value: T?) throws(NotPlain) -> T {
        guard let value else { throw NotPlain() }
        return value
    }
}
