import Foundation

/// Tells whether a reply body (a JSON list of instructions) holds an instruction that
/// ``Instruction/reachesBeyond(socket:)``, reading only what the rule needs: each object's `op`,
/// an emit's `to` and a membership's or disconnect's `sids` and `users`. Every other member (the
/// arguments above all) is skipped over without building a value, so a service can address every
/// reply without reading it whole.
///
/// It answers only when the body is plainly written (no escapes in keys, ops or socket ids, the
/// members it reads of the types the instructions have); for anything else it answers `nil`, and
/// the caller reads the list properly. For a list of instructions it answers as reading the list
/// would, or more cautiously (`true` for a member written twice whose last value reaches no
/// further); it does not check the members it skips, so a body that is no list of instructions
/// may get an answer, which no edge will use.
struct ReachScanner: ByteScanning {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// The event's socket id, as bytes.
    private let sid: [UInt8]?

    /// `true` when an instruction of `body` reaches beyond socket `sid`, `false` when none does,
    /// `nil` when the body is not plainly written.
    static func reaches(_ body: Data, beyond sid: String?) -> Bool? {
        body.withUnsafeBytes { raw in
            var scanner = ReachScanner(bytes: raw.bindMemory(to: UInt8.self), sid: sid.map { Array($0.utf8) })
            return scanner.list()
        }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, sid: [UInt8]?) {
        self.bytes = bytes
        self.sid = sid
    }

    /// The whole body: `[`, instructions separated by commas, `]`, nothing after.
    private mutating func list() -> Bool? {
        skipWhitespace()
        guard take(UInt8(ascii: "[")) else { return nil }
        var reaches = false
        skipWhitespace()
        if !take(UInt8(ascii: "]")) {
            repeat {
                guard let one = instruction() else { return nil }
                reaches = reaches || one
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
        }
        skipWhitespace()
        return index == bytes.count ? reaches : nil
    }

    /// One instruction object: whether it reaches beyond the socket.
    private mutating func instruction() -> Bool? {
        var op: Range<Int>?
        var audience = false
        var named = false
        guard members({ scanner, key in
            if scanner.text(key, is: "op") {
                guard let text = scanner.plainString() else { return false }
                op = text
            } else if scanner.text(key, is: "to") {
                guard let reaches = scanner.audience() else { return false }
                audience = audience || reaches
            } else if scanner.text(key, is: "sids") || scanner.text(key, is: "users") {
                guard let reaches = scanner.names(sids: scanner.text(key, is: "sids")) else { return false }
                named = named || reaches
            } else {
                return scanner.skipValue()
            }
            return true
        }), let op else { return nil }
        if text(op, is: "ack") || text(op, is: "accept") || text(op, is: "reject") { return false }
        if text(op, is: "emit") { return audience }
        if text(op, is: "join") || text(op, is: "leave") || text(op, is: "disconnect") { return named }
        return nil
    }

    /// An emit's `to`: whether it names rooms, users, everyone or another socket.
    private mutating func audience() -> Bool? {
        skipWhitespace()
        if literal("null") { return false }
        var reaches = false
        guard members({ scanner, key in
            if scanner.text(key, is: "rooms") || scanner.text(key, is: "users") || scanner.text(key, is: "sids") {
                guard let found = scanner.names(sids: scanner.text(key, is: "sids")) else { return false }
                reaches = reaches || found
            } else if scanner.text(key, is: "all") {
                scanner.skipWhitespace()
                if scanner.literal("true") {
                    reaches = true
                } else if !scanner.literal("false"), !scanner.literal("null") {
                    return false
                }
            } else {
                return scanner.skipValue()
            }
            return true
        }) else { return nil }
        return reaches
    }

    /// A list of names (`null` is none): whether it holds one; with `sids`, one other than the
    /// event's socket.
    private mutating func names(sids: Bool) -> Bool? {
        skipWhitespace()
        if literal("null") { return false }
        guard take(UInt8(ascii: "[")) else { return nil }
        var found = false
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return false }
        repeat {
            skipWhitespace()
            guard let name = plainString() else { return nil }
            found = found || !sids || !isSocket(name)
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? found : nil
    }

    /// The members of an object, each key handed to `member` (which reads or skips its value and
    /// returns `false` when it cannot); `false` when the object is not plainly written.
    private mutating func members(_ member: (inout ReachScanner, Range<Int>) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = plainString() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")), member(&self, key) else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// A string without escapes: where its text is; `nil` for anything else.
    private mutating func plainString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while let byte = next, byte != UInt8(ascii: "\"") {
            guard byte != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        guard next != nil else { return nil }
        index += 1
        return start..<(index - 1)
    }

    /// `true` when the text at `range` is `word`.
    private func text(_ range: Range<Int>, is word: StaticString) -> Bool {
        range.count == word.utf8CodeUnitCount && memcmp(bytes.baseAddress! + range.lowerBound, word.utf8Start, range.count) == 0
    }

    /// `true` when the text at `range` is the event's socket id.
    private func isSocket(_ range: Range<Int>) -> Bool {
        guard let sid, range.count == sid.count else { return false }
        guard !sid.isEmpty else { return true }
        return sid.withUnsafeBufferPointer { memcmp(bytes.baseAddress! + range.lowerBound, $0.baseAddress!, range.count) == 0 }
    }

    /// Skips one value of any kind, nested containers and strings with escapes included; `false`
    /// at the end of the body or at a bracket that closes nothing opened here.
    private mutating func skipValue() -> Bool {
        skipWhitespace()
        var depth = 0
        repeat {
            guard let byte = next else { return false }
            switch byte {
            case UInt8(ascii: "\""):
                guard skipString() else { return false }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return false }
                depth -= 1
            case UInt8(ascii: ","):
                guard depth > 0 else { return false }
            default:
                break
            }
            index += 1
        } while depth > 0 || !(next.map(Self.endsValue) ?? true)
        return true
    }

    /// Skips a string from its opening quote to past its closing one.
    private mutating func skipString() -> Bool {
        index += 1
        while let byte = next {
            index += byte == UInt8(ascii: "\\") ? 2 : 1
            if byte == UInt8(ascii: "\"") { return true }
        }
        return false
    }

    /// `true` for a byte that ends a number or a literal: whitespace, `,`, `}` or `]`.
    private static func endsValue(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
            || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }
}
