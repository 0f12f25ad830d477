import Foundation

/// The little XML-RPC the console needs to speak with supervisord: a call with string and
/// boolean parameters, a fault's string, and the string members of each struct of a response.
enum XMLRPC {
    /// A parameter.
    enum Value {
        case string(String)
        case boolean(Bool)

        var xml: String {
            switch self {
            case .string(let text): "<value><string>\(escape(text))</string></value>"
            case .boolean(let flag): "<value><boolean>\(flag ? 1 : 0)</boolean></value>"
            }
        }
    }

    /// The body of a call.
    static func request(method: String, parameters: [Value]) -> String {
        let params = parameters.map { "<param>\($0.xml)</param>" }.joined()
        return "<?xml version=\"1.0\"?><methodCall><methodName>\(escape(method))</methodName>"
            + "<params>\(params)</params></methodCall>"
    }

    /// The fault's `faultString`, or `nil` when the response is no fault.
    static func fault(in response: String) -> String? {
        guard response.contains("<fault>") else { return nil }
        return structs(in: response).first?["faultString"] ?? "a fault"
    }

    /// Each `<struct>` of the response as its members whose value is a string or an integer.
    static func structs(in response: String) -> [[String: String]] {
        response.components(separatedBy: "<struct>").dropFirst().map { part in
            var members: [String: String] = [:]
            for member in part.components(separatedBy: "<member>").dropFirst() {
                guard let name = between(member, "<name>", "</name>") else { continue }
                let value = between(member, "<string>", "</string>")
                    ?? between(member, "<int>", "</int>")
                    ?? between(member, "<i4>", "</i4>")
                    ?? between(member, "<value>", "</value>")
                members[name] = value.map(unescape)
            }
            return members
        }
    }

    private static func between(_ text: String, _ open: String, _ close: String) -> String? {
        guard let start = text.range(of: open), let end = text.range(of: close, range: start.upperBound..<text.endIndex)
        else { return nil }
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}
