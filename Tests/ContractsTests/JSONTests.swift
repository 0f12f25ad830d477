import Contracts
import Foundation
import Testing

/// Decodes `text` as a ``JSON`` value.
private func parse(_ text: String) throws -> JSON {
    try JSONCoding.decode(JSON.self, from: Data(text.utf8))
}

/// The compact, key-sorted text ``JSONCoding`` produces for `value`.
private func text<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try JSONCoding.encode(value), as: UTF8.self)
}

@Suite("JSON")
struct JSONTests {
    @Test("integers decode as .int, never as .double or .bool")
    func integersStayIntegers() throws {
        let value = try parse("[0, 1, -7, 42, 9007199254740993, 9223372036854775807, -9223372036854775808]")
        #expect(value == .array([.int(0), .int(1), .int(-7), .int(42), .int(9_007_199_254_740_993),
                                 .int(Int64.max), .int(Int64.min)]))
        // 2^53 + 1 is not representable as a Double: it must come back byte for byte.
        #expect(try text(value) == "[0,1,-7,42,9007199254740993,9223372036854775807,-9223372036854775808]")
    }

    @Test("fractions decode as .double and encode back")
    func doubles() throws {
        let value = try parse("[2.5, -0.125, 3.14159, 1e-3]")
        #expect(value == .array([.double(2.5), .double(-0.125), .double(3.14159), .double(0.001)]))
        let again = try JSONCoding.decode(JSON.self, from: try JSONCoding.encode(JSON.array([.double(2.5), .double(-0.125)])))
        #expect(again == .array([.double(2.5), .double(-0.125)]))
        #expect(try text(JSON.double(0.5)) == "0.5")
    }

    @Test("null, booleans and strings keep their kind")
    func scalars() throws {
        #expect(try parse("null") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("\"1\"") == .string("1"))
        #expect(try parse("[null]") == .array([.null]))
        #expect(try text(JSON.null) == "null")
        #expect(try text(JSON.array([.bool(true), .bool(false), .null])) == "[true,false,null]")
    }

    @Test("unicode and escapes survive a round trip")
    func unicode() throws {
        let original: JSON = ["name": "héllo wörld 🌍 日本語", "quote": "say \"hi\"\n", "path": "a/b"]
        let data = try JSONCoding.encode(original)
        #expect(try JSONCoding.decode(JSON.self, from: data) == original)
        // Escaped input decodes to the same characters.
        #expect(try parse(#""\u00e9\ud83c\udf0d""#) == .string("é🌍"))
        // Slashes are not escaped; non-ASCII is written as is.
        #expect(try text(JSON.string("a/b é")) == #""a/b é""#)
    }

    @Test("nested values round trip exactly")
    func nested() throws {
        let source = #"{"a":{"b":[1,2.5,{"c":null,"d":[true,"x"]}]},"e":[],"f":{}}"#
        let value = try parse(source)
        #expect(value["a"]?["b"]?[0] == .int(1))
        #expect(value["a"]?["b"]?[1] == .double(2.5))
        #expect(value["a"]?["b"]?[2]?["c"] == .null)
        #expect(value["e"] == .array([]))
        #expect(value["f"] == .object([:]))
        #expect(try text(value) == source)
        #expect(value.jsonText == source)
    }

    @Test("object keys are encoded sorted and compact")
    func sortedCompactOutput() throws {
        let value: JSON = ["zeta": 1, "alpha": ["y": true, "b": nil], "Mid": "m", "10": 10]
        #expect(try text(value) == #"{"10":10,"Mid":"m","alpha":{"b":null,"y":true},"zeta":1}"#)
        // The same value always gives the same bytes, however it was built.
        let other = JSON.object(["alpha": .object(["b": .null, "y": .bool(true)]), "10": .int(10),
                                 "zeta": .int(1), "Mid": .string("m")])
        #expect(try JSONCoding.encode(other) == JSONCoding.encode(value))
        #expect(value.jsonText == #"{"10":10,"Mid":"m","alpha":{"b":null,"y":true},"zeta":1}"#)
    }

    @Test("input that is not JSON is a decoding error")
    func invalidInput() {
        #expect(throws: (any Error).self) { try parse("{not json") }
        #expect(throws: (any Error).self) { try parse("") }
    }

    @Test("literals build the matching cases")
    func literals() {
        let null: JSON = nil
        let flag: JSON = true
        let number: JSON = 7
        let fraction: JSON = 1.25
        let word: JSON = "w"
        let list: JSON = [1, "a"]
        let object: JSON = ["k": 1, "k2": "v", "k": 2]
        #expect(null == .null)
        #expect(flag == .bool(true))
        #expect(number == .int(7))
        #expect(fraction == .double(1.25))
        #expect(word == .string("w"))
        #expect(list == .array([.int(1), .string("a")]))
        // A repeated key keeps its last value.
        #expect(object == .object(["k": .int(2), "k2": .string("v")]))
    }

    @Test("subscripts return members and elements, nil otherwise")
    func subscripts() {
        let value: JSON = ["list": [10, 20], "name": "n"]
        #expect(value["name"] == .string("n"))
        #expect(value["missing"] == nil)
        #expect(value["list"]?[1] == .int(20))
        #expect(value["list"]?[2] == nil)
        #expect(value["list"]?[-1] == nil)
        #expect(value[0] == nil)
        #expect(JSON.string("s")["key"] == nil)
        #expect(JSON.int(3)[0] == nil)
    }

    @Test("typed accessors")
    func accessors() {
        #expect(JSON.string("s").stringValue == "s")
        #expect(JSON.int(1).stringValue == nil)
        #expect(JSON.int(42).intValue == 42)
        #expect(JSON.double(3.0).intValue == 3)
        #expect(JSON.double(-8.0).intValue == -8)
        #expect(JSON.double(3.5).intValue == nil)
        #expect(JSON.double(1e16).intValue == nil)
        #expect(JSON.double(.nan).intValue == nil)
        #expect(JSON.double(.infinity).intValue == nil)
        #expect(JSON.string("3").intValue == nil)
        #expect(JSON.bool(true).boolValue == true)
        #expect(JSON.int(1).boolValue == nil)
        #expect(JSON.array([.null]).arrayValue == [.null])
        #expect(JSON.object([:]).arrayValue == nil)
        #expect(JSON.object(["a": .int(1)]).objectValue == ["a": .int(1)])
        #expect(JSON.array([]).objectValue == nil)
        #expect(JSON.null.isNull)
        #expect(!JSON.int(0).isNull)
        #expect(!JSON.string("").isNull)
    }

    @Test("JSONCoding decodes and encodes plain Codable types")
    func codingOfStructs() throws {
        struct Sample: Codable, Equatable { var b: Int; var a: String?; var url: String }
        let sample = Sample(b: 2, a: nil, url: "http://x/y")
        #expect(try text(sample) == #"{"b":2,"url":"http://x/y"}"#)
        #expect(try JSONCoding.decode(Sample.self, from: JSONCoding.encode(sample)) == sample)
    }
}
