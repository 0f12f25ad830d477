import Contracts
import Foundation
import Testing

/// `JSONWriter.write(_: [Instruction])` writes a reply in one pass; these tests hold it to the
/// bytes of the path it replaced (each instruction made a ``JSON`` object, then written by
/// ``JSONWriter``), which ``reference(_:)`` keeps here as the yardstick, and to `JSONEncoder`.
@Suite("Instructions written in one pass")
struct InstructionWriterTests {
    /// The path replaced: the instruction as a ``JSON`` object, its keys sorted by the writer.
    static func reference(_ instruction: Instruction) -> JSON {
        func selection(rooms: [String]?, sids: [String]?, users: [String]? = nil, all: Bool? = nil) -> [String: JSON] {
            var object: [String: JSON] = [:]
            if let rooms { object["rooms"] = .array(rooms.map(JSON.string)) }
            if let sids { object["sids"] = .array(sids.map(JSON.string)) }
            if let users { object["users"] = .array(users.map(JSON.string)) }
            if let all { object["all"] = .bool(all) }
            return object
        }
        var object: [String: JSON] = ["op": .string(instruction.op)]
        switch instruction {
        case .emit(let emit):
            object["ns"] = .string(emit.ns)
            object["event"] = .string(emit.event)
            object["args"] = .array(emit.args)
            object["to"] = .object(selection(rooms: emit.to.rooms, sids: emit.to.sids, users: emit.to.users,
                                             all: emit.to.all))
            if let except = emit.except { object["except"] = .object(selection(rooms: except.rooms, sids: except.sids)) }
            if let ack = emit.ack {
                var fields: [String: JSON] = ["event": .string(ack.event)]
                if let token = ack.token { fields["token"] = .string(token) }
                if let timeout = ack.timeoutMs { fields["timeoutMs"] = .int(timeout) }
                object["ack"] = .object(fields)
            }
        case .ack(let ack):
            object["sid"] = .string(ack.sid)
            object["args"] = .array(ack.args)
        case .join(let membership), .leave(let membership):
            object["rooms"] = .array(membership.rooms.map(JSON.string))
            object.merge(selection(rooms: nil, sids: membership.sids, users: membership.users)) { $1 }
            object["ns"] = .string(membership.ns)
        case .disconnect(let disconnect):
            object["ns"] = .string(disconnect.ns)
            object.merge(selection(rooms: nil, sids: disconnect.sids, users: disconnect.users)) { $1 }
            if let reason = disconnect.reason { object["reason"] = .string(reason) }
        case .accept(let decision), .reject(let decision):
            if let data = decision.data { object["data"] = data }
        }
        return .object(object)
    }


    /// Texts with quotes, backslashes, control characters, slashes, non-ASCII and emoji.
    static let texts = ["", "s1", "lobby", "a\"b", "back\\slash", "line\nbreak\r\t", "\u{0}\u{1}\u{1f}\u{7f}",
                        "c/1", "é", "日本語", "👍🏽", "\u{2028}", "zz", "Aa", "_placeholder"]

    static func text(_ random: inout SplitMix) -> String { texts.randomElement(using: &random)! }

    static func texts(_ random: inout SplitMix) -> [String]? {
        let count = Int.random(in: -1...3, using: &random)
        return count < 0 ? nil : (0..<count).map { _ in text(&random) }
    }

    /// An argument of any shape: nested objects with unsorted keys, doubles, binary placeholders.
    static func value(_ random: inout SplitMix, depth: Int = 0) -> JSON {
        switch Int.random(in: 0...(depth > 2 ? 5 : 8), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return .double([0.1, -2.5, 1e21, 1.5e-7, 3.0, -0.0, 1234.5678, .pi].randomElement(using: &random)!)
        case 4, 5: return .string(text(&random))
        case 6: return ["_placeholder": true, "num": .int(Int64.random(in: 0...3, using: &random))]
        case 7: return .array((0..<Int.random(in: 0...3, using: &random)).map { _ in value(&random, depth: depth + 1) })
        default:
            let keys = ["zeta", "alpha", "Mid", "é", "a\"q", "10", "9", "_"].shuffled(using: &random)
            return .object(Dictionary(uniqueKeysWithValues: keys.prefix(Int.random(in: 0...4, using: &random))
                    .map { ($0, value(&random, depth: depth + 1)) }))
        }
    }

    static func instruction(_ random: inout SplitMix) -> Instruction {
        let args = (0..<Int.random(in: 0...3, using: &random)).map { _ in value(&random) }
        let flag: Bool? = [nil, true, false].randomElement(using: &random)!
        switch Int.random(in: 0...6, using: &random) {
        case 0:
            let except = Bool.random(using: &random) ? Exclusion(rooms: texts(&random), sids: texts(&random)) : nil
            let ack = Bool.random(using: &random)
                ? EmitAck(event: text(&random), token: Bool.random(using: &random) ? text(&random) : nil,
                          timeoutMs: Bool.random(using: &random) ? Int64.random(in: 0...60_000, using: &random) : nil)
                : nil
            return .emit(Emit(ns: text(&random), event: text(&random), args: args,
                              to: Audience(rooms: texts(&random), sids: texts(&random), users: texts(&random), all: flag),
                              except: except, ack: ack))
        case 1: return .ack(Ack(sid: text(&random), args: args))
        case 2: return .join(Membership(ns: text(&random), rooms: texts(&random) ?? [], sids: texts(&random),
                                        users: texts(&random)))
        case 3: return .leave(Membership(ns: text(&random), rooms: texts(&random) ?? [], sids: texts(&random),
                                         users: texts(&random)))
        case 4: return .disconnect(Disconnect(ns: text(&random), sids: texts(&random), users: texts(&random),
                                              reason: Bool.random(using: &random) ? text(&random) : nil))
        case 5: return .accept(Decision(data: Bool.random(using: &random) ? value(&random) : nil))
        default: return .reject(Decision(data: Bool.random(using: &random) ? value(&random) : nil))
        }
    }

    @Test("the same bytes as the replaced path, for thousands of instructions of every kind")
    func sameBytesAsBefore() {
        var random = SplitMix(state: 11)
        var kinds: Set<String> = []
        for _ in 0..<3000 {
            let list = (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.instruction(&random) }
            kinds.formUnion(list.map(\.op))
            let before = JSONWriter.write(.array(list.map(Self.reference)))
            let now = JSONWriter.write(list)
            #expect(now == before, "\(String(decoding: now, as: UTF8.self)) != \(String(decoding: before, as: UTF8.self))")
            if now != before { return }
        }
        #expect(kinds == ["emit", "ack", "join", "leave", "disconnect", "accept", "reject"])
    }

    @Test("JSONCoding writes lists of instructions in one pass, as JSONEncoder does", arguments: 0..<InstructionJSONTests.lists.count)
    func likeFoundation(index: Int) throws {
        let list = InstructionJSONTests.lists[index]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(JSONWriter.write(list) == (try encoder.encode(list)))
        #expect(try JSONCoding.encode(list) == JSONWriter.write(list))
    }
}
