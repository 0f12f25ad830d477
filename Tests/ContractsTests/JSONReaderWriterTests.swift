import Contracts
import Foundation
import Testing

/// The hand-written reader and writer against Foundation's `JSONDecoder` / `JSONEncoder`, which
/// `JSONCoding` used for ``JSON`` values before.
@Suite("JSONReader and JSONWriter")
struct JSONReaderWriterTests {
    private static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let texts = [
        "null", "true", "false", "0", "-0", "7", "-12", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "1.5", "-0.25", "1e3", "2E-2", "1.0", "123456789.125", "0.1",
        #""""#, #""plain""#, #""a\"b\\c\/d""#, #""\b\f\n\r\t""#, #""\u0001\u001f\u007f""#, #""é€😀""#,
        #""\u00e9\u20ac\ud83d\ude00""#, "[]", "{}", "[1,2,[3,[4]]]", #"{"b":1,"a":[true,null],"c":{"z":"y"}}"#,
        " \n\t[ 1 , \"x\" ]\r ", #"["echo",{"room":"r1","args":[1,2.5,"three"],"exceptSelf":true}]"#,
        #"{"a10":1,"a9":2,"B":3,"a":4,"_":5,"é":6}"#,
    ]

    @Test("reads what JSONDecoder reads, the same value", arguments: texts)
    func readsLikeFoundation(text: String) throws {
        let data = Data(text.utf8)
        let expected = try JSONDecoder().decode(JSON.self, from: data)
        #expect(try JSONReader.read(data) == expected)
    }

    @Test("writes the bytes JSONEncoder writes", arguments: texts)
    func writesLikeFoundation(text: String) throws {
        let value = try JSONReader.read(Data(text.utf8))
        let expected = try Self.foundationEncoder.encode(value)
        let written = JSONWriter.write(value)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(try JSONReader.read(written) == value)
    }

    @Test("every control character is written as JSONEncoder writes it")
    func controlCharacters() throws {
        let value = JSON.string(String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) }) + "\"\\/")
        #expect(JSONWriter.write(value) == (try Self.foundationEncoder.encode(value)))
    }

    @Test("refuses what is not one JSON value", arguments: [
        "", " ", "nul", "tru", "[1,]x", "[1 2]", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "\"abc", "\"a\u{01}b\"",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "01", "1.", ".5", "-", "1e", "1e+", "+1", "[1]]",
        "NaN", "Infinity", "1e999",
    ])
    func refuses(text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.read(Data(text.utf8)) }
    }

    @Test("refuses invalid UTF-8 and nesting past the limit; accepts the limit")
    func limits() throws {
        #expect(throws: JSONReader.Failure.self) { try JSONReader.read(Data([0x22, 0xFF, 0x22])) }
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONReader.read(Data(deepest.utf8)) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: JSONReader.Failure.self) { try JSONReader.read(Data(tooDeep.utf8)) }
        let bom = Data([0xEF, 0xBB, 0xBF]) + Data("[1]".utf8)
        #expect(try JSONReader.read(bom) == [1])
    }

    @Test("JSONCoding takes the fast path for JSON and [JSON] and keeps its errors for the rest")
    func codingFastPath() throws {
        let args: [JSON] = ["x", 1, ["k": [true, nil]]]
        let data = try JSONCoding.encode(args)
        #expect(try JSONCoding.decode([JSON].self, from: data) == args)
        #expect(throws: (any Error).self) { try JSONCoding.decode([JSON].self, from: Data("{}".utf8)) }
        #expect(throws: (any Error).self) { try JSONCoding.decode([JSON].self, from: Data("[1,".utf8)) }
    }
}
