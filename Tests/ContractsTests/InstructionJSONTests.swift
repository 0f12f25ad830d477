import Contracts
import Foundation
import Testing

/// `JSONCoding` writes and reads `[Instruction]` without Foundation's coders; these tests hold
/// that path to what `JSONEncoder`/`JSONDecoder` do with the `Codable` conformance.
@Suite("Instruction JSON fast path")
struct InstructionJSONTests {
    private static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Every op with every optional member set and left out.
    static let lists: [[Instruction]] = InstructionTests.cases.map { [$0.0] } + [
        InstructionTests.cases.map(\.0),
        [.emit(Emit(ns: "/", event: "call:incoming", args: [["callId": "c/1", "n": 1.5, "u": "é\n\u{1}"]],
                    to: Audience(rooms: [], sids: ["s"], users: ["1", "2"], all: false),
                    except: Exclusion(), ack: EmitAck(event: "call:answer", token: "t", timeoutMs: 30_000)))],
        [.emit(Emit(ns: "/", event: "e", args: [], to: Audience(), ack: EmitAck(event: "a")))],
        [.accept(Decision(data: nil)), .reject(Decision(data: .null))],
        [],
    ]

    @Test("writes the bytes JSONEncoder writes", arguments: 0..<lists.count)
    func writesLikeFoundation(index: Int) throws {
        let list = Self.lists[index]
        let expected = try Self.foundationEncoder.encode(list)
        #expect(String(decoding: try JSONCoding.encode(list), as: UTF8.self)
            == String(decoding: expected, as: UTF8.self))
    }

    @Test("reads back what JSONDecoder reads", arguments: 0..<lists.count)
    func readsLikeFoundation(index: Int) throws {
        let data = try Self.foundationEncoder.encode(Self.lists[index])
        let foundation = try JSONDecoder().decode([Instruction].self, from: data)
        #expect(try JSONCoding.decode([Instruction].self, from: data) == foundation)
    }

    @Test("null members read as absent, unknown members are ignored, whole numbers are integers")
    func lenient() throws {
        let text = #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"rooms":null,"all":true},"except":null,"#
            + #""ack":{"event":"a","timeoutMs":5.0,"token":null},"extra":[1]},{"op":"accept","data":null}]"#
        let data = Data(text.utf8)
        let fast = try JSONCoding.decode([Instruction].self, from: data)
        #expect(fast == (try JSONDecoder().decode([Instruction].self, from: data)))
        #expect(fast == [.emit(Emit(ns: "/", event: "e", args: [], to: Audience(all: true),
                                    ack: EmitAck(event: "a", timeoutMs: 5))),
                         .accept(Decision())])
    }

    @Test("refuses what JSONDecoder refuses", arguments: [
        #"{"op":"ack","sid":"s","args":[]}"#,
        #"[{"op":"fly"}]"#,
        #"[{"sid":"s","args":[]}]"#,
        #"[{"op":"ack","sid":1,"args":[]}]"#,
        #"[{"op":"ack","sid":"s"}]"#,
        #"[{"op":"join","ns":"/"}]"#,
        #"[{"op":"join","ns":"/","rooms":["a",2]}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[]}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"all":"yes"}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{},"ack":{"event":"a","timeoutMs":1.5}}]"#,
        #"[{"op":"disconnect","ns":"/","reason":3}]"#,
        #"[1]"#,
    ])
    func refuses(text: String) {
        let data = Data(text.utf8)
        #expect((try? JSONDecoder().decode([Instruction].self, from: data)) == nil)
        #expect((try? JSONCoding.decode([Instruction].self, from: data)) == nil)
    }
}
