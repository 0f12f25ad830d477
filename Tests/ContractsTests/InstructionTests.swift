import Contracts
import Foundation
import Testing

/// The compact, key-sorted text of `instruction`.
private func wire(_ instruction: Instruction) throws -> String {
    String(decoding: try JSONCoding.encode(instruction), as: UTF8.self)
}

private func instruction(_ text: String) throws -> Instruction {
    try JSONCoding.decode(Instruction.self, from: Data(text.utf8))
}

@Suite("Instruction")
struct InstructionTests {
    /// Every op with the exact text it must have on the wire.
    static let cases: [(Instruction, String)] = [
        (.emit(Emit(ns: "/", event: "message", args: ["hi", 1, ["n": 2.5]], to: Audience(rooms: ["lobby"]),
                    except: Exclusion(rooms: ["muted"], sids: ["s1"]))),
         #"{"args":["hi",1,{"n":2.5}],"event":"message","except":{"rooms":["muted"],"sids":["s1"]},"ns":"/","op":"emit","to":{"rooms":["lobby"]}}"#),
        (.emit(Emit(ns: "/user", event: "ping", args: [], to: Audience(sids: ["a"], users: ["42"]))),
         #"{"args":[],"event":"ping","ns":"/user","op":"emit","to":{"sids":["a"],"users":["42"]}}"#),
        (.emit(Emit(ns: "/", event: "all", args: [nil], to: Audience(all: true))),
         #"{"args":[null],"event":"all","ns":"/","op":"emit","to":{"all":true}}"#),
        (.ack(Ack(sid: "s1", args: [["ok": true]])),
         #"{"args":[{"ok":true}],"op":"ack","sid":"s1"}"#),
        (.join(Membership(ns: "/", rooms: ["a", "b"], sids: ["s1"])),
         #"{"ns":"/","op":"join","rooms":["a","b"],"sids":["s1"]}"#),
        (.leave(Membership(ns: "/chat", rooms: ["a"], users: ["42"])),
         #"{"ns":"/chat","op":"leave","rooms":["a"],"users":["42"]}"#),
        (.disconnect(Disconnect(ns: "/", sids: ["s1"], users: ["7"], reason: "kicked")),
         #"{"ns":"/","op":"disconnect","reason":"kicked","sids":["s1"],"users":["7"]}"#),
        (.disconnect(Disconnect(ns: "/admin")),
         #"{"ns":"/admin","op":"disconnect"}"#),
        (.accept(Decision()),
         #"{"op":"accept"}"#),
        (.accept(Decision(data: ["role": "USER"])),
         #"{"data":{"role":"USER"},"op":"accept"}"#),
        (.reject(Decision(data: ["message": "Access denied"])),
         #"{"data":{"message":"Access denied"},"op":"reject"}"#),
    ]

    @Test("each op encodes to its exact JSON text", arguments: 0..<cases.count)
    func encodesExactly(index: Int) throws {
        let (value, expected) = Self.cases[index]
        #expect(try wire(value) == expected)
    }

    @Test("each op decodes back from its JSON text", arguments: 0..<cases.count)
    func decodesBack(index: Int) throws {
        let (value, text) = Self.cases[index]
        #expect(try instruction(text) == value)
        #expect(try JSONCoding.decode(Instruction.self, from: JSONCoding.encode(value)) == value)
    }

    @Test("op names")
    func opNames() {
        let names = Self.cases.map { $0.0.op }
        #expect(Set(names) == ["emit", "ack", "join", "leave", "disconnect", "accept", "reject"])
        #expect(Instruction.join(Membership(ns: "/", rooms: [])).op == "join")
        #expect(Instruction.leave(Membership(ns: "/", rooms: [])).op == "leave")
    }

    @Test("the op member may come anywhere in the object")
    func opPosition() throws {
        let decoded = try instruction(#"{"sid":"x","args":[1],"op":"ack"}"#)
        #expect(decoded == .ack(Ack(sid: "x", args: [1])))
    }

    @Test("join and leave with the same fields stay distinct")
    func joinIsNotLeave() throws {
        let join = try instruction(#"{"op":"join","ns":"/","rooms":["r"]}"#)
        let leave = try instruction(#"{"op":"leave","ns":"/","rooms":["r"]}"#)
        #expect(join == .join(Membership(ns: "/", rooms: ["r"])))
        #expect(leave == .leave(Membership(ns: "/", rooms: ["r"])))
        #expect(join != leave)
    }

    @Test("accept and reject keep their data, including JSON numbers")
    func decisionData() throws {
        let reject = try instruction(#"{"op":"reject","data":{"message":"no","code":4001}}"#)
        #expect(reject == .reject(Decision(data: ["message": "no", "code": 4001])))
        let accept = try instruction(#"{"op":"accept"}"#)
        #expect(accept == .accept(Decision(data: nil)))
    }

    @Test("an unknown op is a decoding error")
    func unknownOp() {
        #expect(throws: DecodingError.self) { try instruction(#"{"op":"explode","ns":"/"}"#) }
        #expect(throws: DecodingError.self) { try instruction(#"{"op":"Emit","ns":"/","event":"e","args":[],"to":{}}"#) }
    }

    @Test("a missing op or missing required fields is a decoding error")
    func missingFields() {
        #expect(throws: DecodingError.self) { try instruction(#"{"sid":"s","args":[]}"#) }
        #expect(throws: DecodingError.self) { try instruction(#"{"op":"ack","args":[]}"#) }
        #expect(throws: DecodingError.self) { try instruction(#"{"op":"emit","ns":"/","event":"e","args":[]}"#) }
        #expect(throws: DecodingError.self) { try instruction(#"{"op":"join","ns":"/"}"#) }
        #expect(throws: DecodingError.self) { try instruction(#"{"op":1}"#) }
    }

    @Test("a list of instructions round trips in order")
    func list() throws {
        let list = Self.cases.map(\.0)
        let data = try JSONCoding.encode(list)
        #expect(try JSONCoding.decode([Instruction].self, from: data) == list)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == "[" + Self.cases.map(\.1).joined(separator: ",") + "]")
    }
}
