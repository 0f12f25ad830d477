import Contracts
import Foundation

/// Writes ``JSON`` values as the many texts that read back to them, and spoils them, for the
/// tests that hold two readers to each other: whitespace anywhere, members in any order, strings
/// with any escapes, whole numbers as `5.0` or `5e0`, a byte order mark, and extra members a
/// reader must pass over (`extra` with any value, a `null` under a name the object lacks, a key
/// written twice whose first value is dropped). ``mutated(_:_:)`` changes a list of instruction objects (ops, members of wrong
/// types, members removed), ``damaged(_:_:)`` its bytes.
enum LooseWriter {
    /// Member names of instructions and of the objects in them, and one no instruction has.
    static let names = ["op", "ns", "event", "args", "to", "except", "ack", "sid", "rooms", "sids", "users", "reason",
                        "data", "all", "token", "timeoutMs", "extra"]

    /// One text of `value`.
    static func text(_ value: JSON, _ random: inout SplitMix) -> String {
        var text = Int.random(in: 0..<20, using: &random) == 0 ? "\u{FEFF}" : ""
        write(value, &random, into: &text)
        text += space(&random)
        return text
    }

    private static func space(_ random: inout SplitMix) -> String {
        ["", "", "", "", " ", "\n  ", "\t", "\r\n"].randomElement(using: &random)!
    }

    private static func write(_ value: JSON, _ random: inout SplitMix, into text: inout String) {
        text += space(&random)
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number):
            let suffix = number.magnitude < 1 << 50 ? ["", "", ".0", "e0", ".00E+0"].randomElement(using: &random)! : ""
            text += "\(number)\(suffix)"
        case .double(let number): text += "\(number)"
        case .string(let string): write(string, &random, into: &text)
        case .array(let elements):
            text += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { text += space(&random) + "," }
                write(element, &random, into: &text)
            }
            text += space(&random) + "]"
        case .object(let members):
            var entries = members.map { ($0.key, $0.value) }.shuffled(using: &random)
            if Int.random(in: 0..<4, using: &random) == 0, let name = names.randomElement(using: &random),
               members[name] == nil
            {
                entries.insert((name, .null), at: 0)
            }
            if Int.random(in: 0..<4, using: &random) == 0 {
                entries.insert(("extra", junk(&random)), at: 0)
            }
            if Int.random(in: 0..<4, using: &random) == 0, let twice = entries.randomElement(using: &random) {
                entries.insert((twice.0, junk(&random)), at: 0)
            }
            text += "{"
            for (position, (key, member)) in entries.enumerated() {
                if position > 0 { text += space(&random) + "," }
                text += space(&random)
                write(key, &random, into: &text)
                text += space(&random) + ":"
                write(member, &random, into: &text)
            }
            text += space(&random) + "}"
        }
    }

    /// A string with its required escapes and, now and then, optional ones.
    private static func write(_ string: String, _ random: inout SplitMix, into text: inout String) {
        func hex(_ unit: UInt16) -> String { "\\u" + String(format: "%04x", unit) }
        text += "\""
        for scalar in string.unicodeScalars {
            let escape = Int.random(in: 0..<8, using: &random) == 0
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n" where !escape: text += "\\n"
            case "\t" where !escape: text += "\\t"
            case "/" where escape: text += "\\/"
            case _ where scalar.value < 0x20 || escape:
                text += String(scalar).utf16.map(hex).joined()
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// A value of any type a member may wrongly have.
    static func junk(_ random: inout SplitMix) -> JSON {
        let values: [JSON] = [.null, true, 7, 1.5, "x", [], ["a", "b"], ["a", 2], [:],
                              ["rooms": ["r"], "event": "e", "all": true], ["event": "e", "timeoutMs": 5], ["op": "ack"]]
        return values.randomElement(using: &random)!
    }

    /// A list of instruction objects with one of them changed once to three times (so that two
    /// wrong members can meet in one instruction, and which is reported first matters).
    static func mutated(_ list: JSON, _ random: inout SplitMix) -> JSON {
        guard case .array(var elements) = list, let index = elements.indices.randomElement(using: &random) else {
            return .array([junk(&random)])
        }
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            elements[index] = mutatedInstruction(elements[index], &random)
        }
        return .array(elements)
    }

    private static func mutatedInstruction(_ instruction: JSON, _ random: inout SplitMix) -> JSON {
        guard case .object(var members) = instruction else { return junk(&random) }
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            members["op"] = .string(["emit", "ack", "join", "leave", "disconnect", "accept", "reject", "fly", "", "Emit"]
                .randomElement(using: &random)!)
        case 1:
            if let name = members.keys.randomElement(using: &random) { members[name] = nil }
        case 2, 3:
            members[names.randomElement(using: &random)!] = junk(&random)
        case 4:
            let nested = ["to", "except", "ack"].randomElement(using: &random)!
            guard case .object(var inner) = members[nested] else { return .object(members) }
            if Bool.random(using: &random), let name = inner.keys.randomElement(using: &random) {
                inner[name] = nil
            } else {
                inner[names.randomElement(using: &random)!] = junk(&random)
            }
            members[nested] = .object(inner)
        default:
            return junk(&random)
        }
        return .object(members)
    }

    /// `data` with one byte changed, removed or added, or cut short.
    static func damaged(_ data: Data, _ random: inout SplitMix) -> Data {
        var bytes = Array(data)
        let pool = Array("\",:{}[]01-.entu\\/ a\n".utf8) + [0xFF, 0xC3, 0x00, 0x80]
        let index = Int.random(in: 0...bytes.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes.removeSubrange(index...)
        case 1 where index < bytes.count: bytes[index] = pool.randomElement(using: &random)!
        case 2 where index < bytes.count: bytes.remove(at: index)
        default: bytes.insert(pool.randomElement(using: &random)!, at: index)
        }
        return Data(bytes)
    }
}
