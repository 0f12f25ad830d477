import Foundation

/// Reads a list of instructions straight from its JSON bytes: every reply a service sends is one
/// and every edge reads it (`JSONCoding` picks this reader for `[Instruction]`).
///
/// The members every instruction is made of (`op`, `ns`, `event`, `to`, `except`, `ack`, `sid`,
/// `rooms`, `sids`, `users`, `reason` and the members of the nested objects) are read into
/// ``InstructionSlots`` without building ``JSON`` values or dictionaries for them; only the values
/// of any shape (the elements of `args`, a decision's `data`) and members no instruction has are
/// read as ``JSON``, by ``JSONReader``'s own scanner.
///
/// It accepts exactly what the `Codable` conformance accepts and what reading the list into a
/// ``JSON`` tree first and each element from the tree did before it (the tests keep that reading
/// as their reference and hold this reader to it), and throws the same errors: a ``JSONReader/Failure`` at the same
/// offset for bytes that are no JSON value or no list, else the ``Instruction/Malformed`` of the
/// first list element that is no instruction. So a repeated key keeps its last value, `null`
/// counts as absent, and a member of the wrong type matters only to an op that has the member.
enum InstructionReader {
    /// The instructions in the UTF-8 JSON list `data`.
    static func read(_ data: Data) throws -> [Instruction] {
        try data.withUnsafeBytes { raw in
            var scanner = JSONReader.Scanner(bytes: raw.bindMemory(to: UInt8.self))
            return try scanner.instructions()
        }
    }
}

/// The members that instruction objects and the objects nested in them are made of.
enum InstructionKey {
    case op, ns, event, args, to, except, ack, sid, rooms, sids, users, reason, data, all, token, timeoutMs

    /// The key spelled by `bytes`, or `nil` for any other.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        func spells(_ word: StaticString) -> Bool { memcmp(bytes.baseAddress!, word.utf8Start, bytes.count) == 0 }
        guard let first = bytes.first else { return nil }
        switch (bytes.count, first) {
        case (2, UInt8(ascii: "o")) where spells("op"): self = .op
        case (2, UInt8(ascii: "n")) where spells("ns"): self = .ns
        case (2, UInt8(ascii: "t")) where spells("to"): self = .to
        case (3, UInt8(ascii: "a")) where spells("ack"): self = .ack
        case (3, UInt8(ascii: "a")) where spells("all"): self = .all
        case (3, UInt8(ascii: "s")) where spells("sid"): self = .sid
        case (4, UInt8(ascii: "a")) where spells("args"): self = .args
        case (4, UInt8(ascii: "d")) where spells("data"): self = .data
        case (4, UInt8(ascii: "s")) where spells("sids"): self = .sids
        case (5, UInt8(ascii: "e")) where spells("event"): self = .event
        case (5, UInt8(ascii: "r")) where spells("rooms"): self = .rooms
        case (5, UInt8(ascii: "u")) where spells("users"): self = .users
        case (5, UInt8(ascii: "t")) where spells("token"): self = .token
        case (6, UInt8(ascii: "e")) where spells("except"): self = .except
        case (6, UInt8(ascii: "r")) where spells("reason"): self = .reason
        case (9, UInt8(ascii: "t")) where spells("timeoutMs"): self = .timeoutMs
        default: return nil
        }
    }
}

/// The members of one object of known shape, filled in as the object is read.
protocol MemberSlots {
    /// Reads the value of `key` from `scanner` (positioned before it, `depth` containers deep)
    /// when the object has such a member; `false` leaves the value unread, for an unknown member.
    mutating func read(_ key: InstructionKey, from scanner: inout JSONReader.Scanner,
                       depth: Int) throws(JSONReader.Failure) -> Bool
}

extension JSONReader.Scanner {
    private static let quote = UInt8(ascii: "\"")

    /// The whole list: what `JSONReader.read` reads, refused as it refuses, then each element
    /// made an instruction; the first element that is none is thrown once the bytes are read.
    mutating func instructions() throws -> [Instruction] {
        skipByteOrderMark()
        skipWhitespace()
        guard next == UInt8(ascii: "[") else {
            _ = try value(depth: 0)
            try end()
            throw JSONReader.Failure(offset: 0)
        }
        index += 1
        var list: [Instruction] = []
        var malformed: Instruction.Malformed?
        skipWhitespace()
        if !take(UInt8(ascii: "]")) {
            repeat {
                skipWhitespace()
                if next == UInt8(ascii: "{") {
                    var slots = InstructionSlots()
                    try object(into: &slots, depth: 2)
                    if malformed == nil {
                        do throws(Instruction.Malformed) {
                            list.append(try slots.instruction())
                        } catch {
                            malformed = error
                        }
                    }
                } else {
                    _ = try value(depth: 1)
                    malformed = malformed ?? Instruction.Malformed(member: "op")
                }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { throw failure }
        }
        try end()
        if let malformed { throw malformed }
        return list
    }

    /// An object from its `{` to past its `}`, its known members read into `slots`; `depth`
    /// counts the object itself.
    mutating func object<Slots: MemberSlots>(into slots: inout Slots, depth: Int) throws(JSONReader.Failure) {
        index += 1
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return }
        while true {
            guard next == Self.quote else { throw failure }
            let known = try key()
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { throw failure }
            var used = false
            if let known { used = try slots.read(known, from: &self, depth: depth) }
            if !used { _ = try value(depth: depth) }
            skipWhitespace()
            if take(UInt8(ascii: "}")) { return }
            guard take(UInt8(ascii: ",")) else { throw failure }
            skipWhitespace()
        }
    }

    /// A member's name, from its opening quote: compared in place when written plainly, else
    /// read as ``JSONReader`` reads any string (so with its escapes and checks) and compared.
    private mutating func key() throws(JSONReader.Failure) -> InstructionKey? {
        var end = index + 1
        while end < bytes.count, bytes[end] != Self.quote, bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == Self.quote,
           let key = InstructionKey(UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end]))
        {
            index = end + 1
            return key
        }
        var text = try string()
        return text.withUTF8 { InstructionKey($0) }
    }

    /// A member that must be a string.
    mutating func stringSlot(depth: Int) throws(JSONReader.Failure) -> Slot<String> {
        skipWhitespace()
        return next == Self.quote ? .present(try string()) : try otherSlot(depth: depth)
    }

    /// A member that must be a list of strings.
    mutating func stringsSlot(depth: Int) throws(JSONReader.Failure) -> Slot<[String]> {
        skipWhitespace()
        guard next == UInt8(ascii: "[") else { return try otherSlot(depth: depth) }
        index += 1
        var texts: [String] = []
        var allTexts = true
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return .present(texts) }
        while true {
            skipWhitespace()
            if next == Self.quote {
                texts.append(try string())
            } else {
                _ = try value(depth: depth + 1)
                allTexts = false
            }
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return allTexts ? .present(texts) : .wrong }
            guard take(UInt8(ascii: ",")) else { throw failure }
        }
    }

    /// A member that must be an object of the shape `Slots` reads.
    mutating func objectSlot<Slots: MemberSlots>(_ empty: Slots, depth: Int) throws(JSONReader.Failure) -> Slot<Slots> {
        skipWhitespace()
        guard next == UInt8(ascii: "{") else { return try otherSlot(depth: depth) }
        var slots = empty
        try object(into: &slots, depth: depth + 1)
        return .present(slots)
    }

    /// A member read as ``JSON`` and kept when `pick` takes it.
    mutating func valueSlot<Value>(depth: Int, _ pick: (JSON) -> Value?) throws(JSONReader.Failure) -> Slot<Value> {
        let value = try value(depth: depth)
        if case .null = value { return .absent }
        return pick(value).map(Slot.present) ?? .wrong
    }

    /// A member that is not of the type expected: absent when `null`, else wrong.
    private mutating func otherSlot<Value>(depth: Int) throws(JSONReader.Failure) -> Slot<Value> {
        if case .null = try value(depth: depth) { return .absent }
        return .wrong
    }
}

extension Instruction {
    /// Why a list element is not an instruction (``InstructionReader``).
    public struct Malformed: Error, Equatable {
        /// The member that is missing or has the wrong type (`op` for an unknown op).
        public let member: String

        /// The error naming `member`.
        public init(member: String) {
            self.member = member
        }
    }
}
