import Contracts
import Foundation

/// Checks that bytes are one JSON value in UTF-8, without building anything.
///
/// `Envelope.decode` only needs to know that frame 2 is JSON; the consumer parses it later with
/// the type it expects. Parsing it fully here with `JSONSerialization`, as before, parsed every
/// body twice. This check is one pass that allocates nothing, and it accepts what
/// `JSONSerialization.jsonObject(with:options: .fragmentsAllowed)` accepted for UTF-8 input
/// (compared on hundreds of thousands of fuzzed bodies): any value at the top level, JSON
/// whitespace and an optional UTF-8 byte order mark around it, nesting at most 512 deep,
/// strings of valid UTF-8 whose `\u` escapes pair their surrogates, numbers that fit a
/// `Double`, and, as Foundation tolerates it, one trailing comma before `]` or `}`. The bus
/// carries UTF-8 only (bus protocol §4), so unlike `JSONSerialization` it does not guess
/// UTF-16 or UTF-32 from the bytes.
enum JSONSyntax {
    /// Containers nested deeper than this are refused, as `JSONSerialization` refuses them.
    static let maximumDepth = 512

    /// `true` when `data` is exactly one JSON value, with optional whitespace around it.
    static func isValid(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            scanner.skipByteOrderMark()
            guard scanner.value(depth: 0) else { return false }
            scanner.skipWhitespace()
            return scanner.atEnd
        }
    }

    private struct Scanner: ByteScanning {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        /// One value, after optional whitespace.
        mutating func value(depth: Int) -> Bool {
            skipWhitespace()
            guard let first = next else { return false }
            switch first {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
            default: return false
            }
        }

        private mutating func object(depth: Int) -> Bool {
            guard depth <= JSONSyntax.maximumDepth else { return false }
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return true }
            while true {
                guard next == UInt8(ascii: "\""), string() else { return false }
                skipWhitespace()
                guard take(UInt8(ascii: ":")), value(depth: depth) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return true }
                guard take(UInt8(ascii: ",")) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "}")) { return true }  // A trailing comma.
            }
        }

        private mutating func array(depth: Int) -> Bool {
            guard depth <= JSONSyntax.maximumDepth else { return false }
            index += 1
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return true }
            while true {
                guard value(depth: depth) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return true }
                guard take(UInt8(ascii: ",")) else { return false }
                skipWhitespace()
                if take(UInt8(ascii: "]")) { return true }  // A trailing comma.
            }
        }

        /// A string: no raw control characters, valid escapes, valid UTF-8.
        private mutating func string() -> Bool {
            index += 1
            while let byte = next {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return true
                case UInt8(ascii: "\\"):
                    guard escape() else { return false }
                case 0x00..<0x20:
                    return false
                case 0x20..<0x80:
                    index += 1
                default:
                    guard multiByteCharacter() else { return false }
                }
            }
            return false
        }

        /// `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` or `\uXXXX`; a `\u` high surrogate must be
        /// followed by a `\u` low surrogate, and a low surrogate must not come alone.
        private mutating func escape() -> Bool {
            index += 1
            guard let kind = next else { return false }
            index += 1
            switch kind {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                return true
            case UInt8(ascii: "u"):
                guard let unit = hexQuad() else { return false }
                switch unit {
                case 0xD800...0xDBFF:
                    guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hexQuad() else { return false }
                    return (0xDC00...0xDFFF).contains(low)
                case 0xDC00...0xDFFF:
                    return false
                default:
                    return true
                }
            default:
                return false
            }
        }

        private mutating func hexQuad() -> UInt16? {
            guard bytes.count - index >= 4 else { return nil }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }

        /// One well-formed UTF-8 sequence of two to four bytes (no overlong forms, no
        /// surrogates, nothing above U+10FFFF), the lead byte at `index`.
        private mutating func multiByteCharacter() -> Bool {
            let lead = bytes[index]
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; secondRange = 0x80...0x9F
            case 0xF0: length = 4; secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; secondRange = 0x80...0x8F
            default: return false
            }
            guard bytes.count - index >= length, secondRange.contains(bytes[index + 1]) else { return false }
            for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) { return false }
            index += length
            return true
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, and not too large for a `Double`.
        private mutating func number() -> Bool {
            let start = index
            var exponent = false
            _ = take(UInt8(ascii: "-"))
            if take(UInt8(ascii: "0")) {
                // A leading zero stands alone.
            } else if digits() == 0 {
                return false
            }
            if take(UInt8(ascii: ".")), digits() == 0 { return false }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                exponent = true
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                if digits() == 0 { return false }
            }
            // Only an exponent or more than 308 digits can overflow; then convert to be sure.
            guard exponent || index - start > 308 else { return true }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            return Double(text)?.isFinite == true
        }

        private mutating func digits() -> Int {
            let start = index
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - start
        }

        mutating func skipByteOrderMark() {
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        }
    }
}
