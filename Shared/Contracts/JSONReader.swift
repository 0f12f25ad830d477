import Foundation

/// Reads UTF-8 JSON text into a ``JSON`` value in one pass, without `JSONDecoder`.
///
/// It gives what `JSONCoding.decode(JSON.self, from:)` gave, for far less work (that path tries
/// each kind of value in turn and builds an error for every miss): any value at the top level,
/// JSON whitespace and an optional UTF-8 byte order mark around it; a number whose value is a
/// whole number that fits `Int64` is `.int` (`1.0` and `1e3` too), any other number `.double`; strings must
/// be valid UTF-8 and their `\u` escapes must pair their surrogates; an object's repeated key
/// keeps its last value; containers nest at most 512 deep. Anything else is refused with
/// ``JSONReader/Failure``.
public enum JSONReader {
    /// Containers nested deeper than this are refused.
    public static let maximumDepth = 512

    /// Why bytes are not one JSON value; `offset` is where reading stopped.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The byte offset where reading stopped.
        public let offset: Int

        /// A short explanation.
        public var description: String { "not JSON (at byte \(offset))" }
    }

    /// The one JSON value in `data`.
    public static func read(_ data: Data) throws(Failure) -> JSON {
        let result: Result<JSON, Failure> = data.withUnsafeBytes { raw in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            return Result { () throws(Failure) -> JSON in
                scanner.skipByteOrderMark()
                let value = try scanner.value(depth: 0)
                try scanner.end()
                return value
            }
        }
        return try result.get()
    }

    /// The reading position and the grammar of JSON values, shared with the readers that read
    /// a known shape straight from the bytes (``InstructionReader``) and hand it the values of
    /// any shape.
    struct Scanner: ByteScanning {
        /// The bytes being read.
        let bytes: UnsafeBufferPointer<UInt8>
        /// The position of the next byte.
        var index = 0

        /// A failure at the position.
        var failure: Failure { Failure(offset: index) }

        /// Skips a UTF-8 byte order mark at the very start.
        mutating func skipByteOrderMark() {
            if index == 0, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        }

        /// Skips whitespace and refuses anything after it.
        mutating func end() throws(Failure) {
            skipWhitespace()
            guard index == bytes.count else { throw failure }
        }

        /// One value after optional whitespace; `depth` is how many containers hold it.
        mutating func value(depth: Int) throws(Failure) -> JSON {
            skipWhitespace()
            guard let first = next else { throw failure }
            switch first {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): if literal("true") { return .bool(true) }
            case UInt8(ascii: "f"): if literal("false") { return .bool(false) }
            case UInt8(ascii: "n"): if literal("null") { return .null }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: break
            }
            throw failure
        }

        private mutating func object(depth: Int) throws(Failure) -> JSON {
            guard depth <= JSONReader.maximumDepth else { throw failure }
            index += 1
            var members: [String: JSON] = [:]
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return .object(members) }
            while true {
                guard next == UInt8(ascii: "\"") else { throw failure }
                let key = try string()
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { throw failure }
                members[key] = try value(depth: depth)
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return .object(members) }
                guard take(UInt8(ascii: ",")) else { throw failure }
                skipWhitespace()
            }
        }

        private mutating func array(depth: Int) throws(Failure) -> JSON {
            guard depth <= JSONReader.maximumDepth else { throw failure }
            index += 1
            var elements: [JSON] = []
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return .array(elements) }
            while true {
                elements.append(try value(depth: depth))
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return .array(elements) }
                guard take(UInt8(ascii: ",")) else { throw failure }
            }
        }

        /// A string, from its opening quote to past its closing one.
        mutating func string() throws(Failure) -> String {
            index += 1
            let start = index
            // The common case: no escapes, so the bytes are the string.
            while let byte = next, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                guard byte >= 0x20 else { throw failure }
                index += 1
            }
            guard let stop = next else { throw failure }
            if stop == UInt8(ascii: "\"") {
                index += 1
                return try text(UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))
            }
            var scratch = Array(bytes[start..<index])
            while true {
                guard let byte = next else { throw failure }
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try scratch.withUnsafeBufferPointer { buffer throws(Failure) in try text(buffer) }
                case UInt8(ascii: "\\"):
                    try escape(into: &scratch)
                case 0..<0x20:
                    index -= 1
                    throw failure
                default:
                    scratch.append(byte)
                }
            }
        }

        /// The string of UTF-8 `buffer`; invalid UTF-8 is refused. ASCII, valid as it is, skips
        /// `String(validating:as:)`, whose generic validation looked up type metadata on every call
        /// (a quarter of reading a reply's instructions in a profile).
        private func text(_ buffer: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
            if buffer.allSatisfy({ $0 < 0x80 }) { return String(decoding: buffer, as: UTF8.self) }
            guard let text = String(validating: buffer, as: UTF8.self) else { throw failure }
            return text
        }

        /// One escape after its backslash, appended as UTF-8.
        private mutating func escape(into scratch: inout [UInt8]) throws(Failure) {
            guard let byte = next else { throw failure }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard literal("\\u") else { throw failure }
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw failure
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure }
                scratch.append(contentsOf: String(Character(unicode)).utf8)
            default:
                index -= 1
                throw failure
            }
        }

        private mutating func hex4() throws(Failure) -> UInt32 {
            guard bytes.count - index >= 4 else { throw failure }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// A number by JSON's grammar: `.int` when its value is a whole number that fits `Int64`.
        private mutating func number() throws(Failure) -> JSON {
            let start = index
            _ = take(UInt8(ascii: "-"))
            guard let first = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { throw failure }
            if first == UInt8(ascii: "0") { index += 1 } else { skipDigits() }
            var integral = true
            if take(UInt8(ascii: ".")) {
                integral = false
                guard digitsFollow() else { throw failure }
                skipDigits()
            }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                integral = false
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digitsFollow() else { throw failure }
                skipDigits()
            }
            let literal = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let value = Int64(literal) { return .int(value) }
            guard let value = Double(literal), value.isFinite else { throw Failure(offset: start) }
            // As `JSONDecoder` reads it: a whole number written with a fraction or an exponent
            // (`1.0`, `1e3`) is still an integer.
            if let whole = Int64(exactly: value) { return .int(whole) }
            return .double(value)
        }

        private func digitsFollow() -> Bool {
            guard let byte = next else { return false }
            return (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }

        private mutating func skipDigits() {
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        }
    }
}
