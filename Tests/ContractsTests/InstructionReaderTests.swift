import Contracts
import Foundation
import Testing

/// `JSONCoding.decode([Instruction].self, …)` reads a list of instructions straight from its
/// bytes; these tests hold it to the path it replaced, ``JSONReader/read(_:)`` then
/// ``Instruction/init(json:)`` for each element (``tree(_:)``): the same lists read to equal
/// values, and what that path refuses is refused with the same error.
@Suite("Instructions read without a JSON tree")
struct InstructionReaderTests {
    /// What the replaced path reads from `data`: the instructions, or the error it throws.
    static func tree(_ data: Data) -> Result<[Instruction], ReadError> {
        do throws(any Error) {
            guard case .array(let values) = try JSONReader.read(data) else { return .failure(.json(offset: 0)) }
            return .success(try values.map(Instruction.init(json:)))
        } catch {
            return .failure(ReadError(error))
        }
    }

    /// What `JSONCoding` reads from `data`.
    static func direct(_ data: Data) -> Result<[Instruction], ReadError> {
        do {
            return .success(try JSONCoding.decode([Instruction].self, from: data))
        } catch {
            return .failure(ReadError(error))
        }
    }

    /// The two errors either path may throw, comparable.
    enum ReadError: Error, Equatable {
        case json(offset: Int)
        case instruction(Instruction.Malformed)
        case other(String)

        init(_ error: any Error) {
            switch error {
            case let failure as JSONReader.Failure: self = .json(offset: failure.offset)
            case let malformed as Instruction.Malformed: self = .instruction(malformed)
            default: self = .other("\(error)")
            }
        }
    }

    /// Both paths read `data` alike; returns whether they accepted it.
    @discardableResult
    static func readAlike(_ data: Data) -> Bool {
        let before = tree(data), now = direct(data)
        #expect(now == before, "\(String(decoding: data, as: UTF8.self))")
        if case .success = before { return true }
        return false
    }

    @Test("generated lists of every op and audience, written every way, read as before")
    func generatedLists() {
        var random = SplitMix(state: 23)
        var kinds: Set<String> = []
        var accepted = 0, refused = 0
        for _ in 0..<2000 {
            let list = (0..<Int.random(in: 0...4, using: &random)).map { _ in InstructionWriterTests.instruction(&random) }
            kinds.formUnion(list.map(\.op))
            let value = JSON.array(list.map(InstructionWriterTests.reference))
            #expect(Self.readAlike(JSONWriter.write(list)))
            let written = Data(LooseWriter.text(value, &random).utf8)
            #expect(Self.readAlike(written), "\(String(decoding: written, as: UTF8.self))")
            for _ in 0..<2 {
                let mutated = Data(LooseWriter.text(LooseWriter.mutated(value, &random), &random).utf8)
                if Self.readAlike(mutated) { accepted += 1 } else { refused += 1 }
                if Self.readAlike(LooseWriter.damaged(written, &random)) { accepted += 1 } else { refused += 1 }
            }
        }
        #expect(kinds == ["emit", "ack", "join", "leave", "disconnect", "accept", "reject"])
        #expect(accepted > 500 && refused > 500, "accepted \(accepted), refused \(refused)")
    }

    @Test("the exact cases: keys repeated, escaped or unknown, nulls, numbers, depth, UTF-8", arguments: [
        #"[{"op":"fly","op":"ack","sid":"s","args":[1]}]"#,
        #"[{"op":"ack","sid":"s","args":[1],"op":"fly"}]"#,
        #"[{"sid":"s","args":[],"op":"ack","sid":2}]"#,
        #"[{"sid":2,"args":[],"op":"ack","sid":"s"}]"#,
        #"[{"\u006fp":"ack","s\u0069d":"s","\u0061rgs":[]}]"#,
        #"[{"op":"a\u0063k","sid":"\ud83d\ude00","args":[]}]"#,
        #"[{"op":"ack","sid":"\ud83d","args":[]}]"#,
        #"[{"op":"join","ns":"/","rooms":["a"],"to":5,"all":"x","data":{"a":[1,{}]},"timeoutMs":"x"}]"#,
        #"[{"op":"join","ns":"/","rooms":["a",null]}]"#,
        #"[{"op":"join","ns":null,"rooms":["a"]}]"#,
        #"[{"op":"disconnect","ns":"/","sids":null,"users":["u"],"reason":null}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"rooms":5,"rooms":["r"],"all":null},"except":{"sids":["s"],"x":[]}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{},"ack":{"event":"a","timeoutMs":1e3}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{},"ack":{"event":"a","timeoutMs":1e999}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{},"ack":{"event":"a","timeoutMs":-0}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":{},"ack":{"event":5}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":[],"to":[],"ack":{"event":5}}]"#,
        #"[{"op":"emit","ns":"/","event":"e","args":{},"to":{"sids":[]}}]"#,
        #"[{"op":"emit","ns":5,"event":"e","args":[],"to":5,"except":5,"ack":5}]"#,
        #"[{"op":"emit","ns":5,"event":5,"args":5,"to":{"rooms":5,"all":5},"except":{"sids":5},"ack":{"token":5}}]"#,
        #"[{"op":"join","ns":5,"sids":5,"users":5},{"op":"disconnect","ns":"/","sids":5,"users":5,"reason":5}]"#,
        #"[{"op":"accept","data":null},{"op":"reject","data":[null]},{"op":"reject"}]"#,
        #"[{"op":"accept"},{"op":"fly"},{"op":"ack"}]"#,
        #"[{"op":"fly"},{"op":"accept"},1,]"#,
        #"[{"op":"fly"},{"op":"accept"},{"op":}]"#,
        #"[{"op":"accept"},"op",[],null]"#,
        #"  [ { "op" : "accept" } , { "op" : "ack" , "sid" : "" , "args" : [ ] } ]  "#,
        "\u{FEFF}[{\"op\":\"accept\"}]",
        #"[{"op":"accept"}] x"#,
        #"[{"op":"accept"}"#,
        #"[{"op":"accept",}]"#,
        #"[{"op":"accept""data":1}]"#,
        #"[{"op" "accept"}]"#,
        #"[{op:"accept"}]"#,
        #"[{"op":"accept\u0000"}]"#,
        "[{\"op\":\"accept\",\"data\":\"\t\"}]",
        "[{\"o\np\":\"accept\"}]",
        #"{"op":"accept"}"#,
        #"{"op":"accept"} x"#,
        #""#,
        #"[]"#,
        #"[] []"#,
        #"[{}]"#,
        #"[{"op":"ack","sid":"s","args":[0.5,-1E2,1.0e-1,9223372036854775808,-01]}]"#,
        #"[{"op":"ack","sid":"s","args":[1.]}]"#,
    ])
    func exactCases(text: String) {
        Self.readAlike(Data(text.utf8))
    }

    @Test("invalid UTF-8 in a key, a skeleton string or an argument is refused at the same byte")
    func invalidUTF8() {
        let parts: [[UInt8]] = [Array(#"[{"op":"ack","sid":""#.utf8), [0xC3, 0x28], Array(#"","args":[]}]"#.utf8)]
        Self.readAlike(Data(parts.joined()))
        for template in [#"[{"op":"ack","sid":"s","args":["X"]}]"#, #"[{"X":1,"op":"accept"}]"#,
                         #"[{"op":"join","ns":"/","rooms":["X"]}]"#]
        {
            for bad: [UInt8] in [[0xFF], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98]] {
                var bytes: [UInt8] = []
                for byte in template.utf8 { if byte == UInt8(ascii: "X") { bytes += bad } else { bytes.append(byte) } }
                #expect(!Self.readAlike(Data(bytes)))
            }
        }
    }

    @Test("containers nested past JSONReader's limit in an argument are refused at the same byte")
    func depth() {
        for depth in [508, 509, 510, 511, 512] {
            let arg = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            Self.readAlike(Data(#"[{"op":"ack","sid":"s","args":[\#(arg)]}]"#.utf8))
            Self.readAlike(Data(#"[{"op":"reject","data":\#(arg)}]"#.utf8))
        }
    }
}
