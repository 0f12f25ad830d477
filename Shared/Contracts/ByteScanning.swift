import Foundation

/// A reading position in a UTF-8 buffer: what the bus's hand-written readers share (the header
/// reader here, the body check in `Bus`).
package protocol ByteScanning {
    /// The bytes being read.
    var bytes: UnsafeBufferPointer<UInt8> { get }
    /// The position of the next byte.
    var index: Int { get set }
}

extension ByteScanning {
    /// The byte at the position, or `nil` at the end.
    package var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Reads `byte` if it comes next.
    package mutating func take(_ byte: UInt8) -> Bool {
        guard next == byte else { return false }
        index += 1
        return true
    }

    /// Reads `word` if it comes next.
    package mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count,
              memcmp(bytes.baseAddress! + index, word.utf8Start, count) == 0 else { return false }
        index += count
        return true
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return).
    package mutating func skipWhitespace() {
        while let byte = next,
              byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
              || byte == UInt8(ascii: "\r")
        {
            index += 1
        }
    }
}
