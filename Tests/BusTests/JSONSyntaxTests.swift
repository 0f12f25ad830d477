import Foundation
import Testing
@testable import Bus

/// The body check must accept and refuse what JSONSerialization does (UTF-8 input).
@Suite struct JSONSyntaxTests {
    static let samples = [
        "[]", "{}", "null", "true", "false", "0", "-0", "1.5e3", "\"x\"", #"["a",1,{"b":[null]}]"#,
        " [1] ", "[1,]", "{\"a\":}", "[", "]", "{\"a\" 1}", "01", "1.", ".5", "+1", "\"\\u00e9\"", "\"\\x\"",
        "\"unterminated", "[1 2]", "{\"a\":1,}", "nul", "tru", "[\"\t\"]", "1e", "-", "\"\\uD83D\\uDE00\"",
        "[1]x", "", " ", String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "1e400", "[1e-400]",
    ]

    @Test(arguments: samples)
    func agreesWithJSONSerialization(text: String) {
        let data = Data(text.utf8)
        let reference = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
        #expect(JSONSyntax.isValid(data) == reference)
    }
}
