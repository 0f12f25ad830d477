/// The members of one JSON object being written by hand, in the order they are given (callers
/// give them in the UTF-8 order of their keys, as `JSONEncoder`'s `.sortedKeys` writes them): the
/// separators between them, and values written as ``JSONWriter`` writes them. Used for the bus
/// header (``BusHeader/wireData()``) and for instruction lists (`JSONWriter.write(_: [Instruction])`).
/// The caller writes the object's braces. Keys are plain ASCII names, written as they are.
struct JSONObjectWriter {
    private var empty = true

    /// Writes `"name":`, after a comma unless it is the object's first member.
    mutating func key(_ name: StaticString, _ bytes: inout [UInt8]) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A member whose value is a string.
    mutating func string(_ name: StaticString, _ value: String, _ bytes: inout [UInt8]) {
        key(name, &bytes)
        JSONWriter.appendString(value, to: &bytes)
    }

    /// A member whose value is `true` or `false`.
    mutating func bool(_ name: StaticString, _ value: Bool, _ bytes: inout [UInt8]) {
        key(name, &bytes)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A member whose value is an integer.
    mutating func integer(_ name: StaticString, _ value: Int64, _ bytes: inout [UInt8]) {
        key(name, &bytes)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// The `op` member, whose value is a plain ASCII name.
    mutating func op(_ name: String, _ bytes: inout [UInt8]) {
        key("op", &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A member whose value is a list of strings; nothing when `values` is `nil`.
    mutating func strings(_ name: StaticString, _ values: [String]?, _ bytes: inout [UInt8]) {
        guard let values else { return }
        key(name, &bytes)
        bytes.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
