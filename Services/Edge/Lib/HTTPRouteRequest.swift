import Contracts
import Foundation

/// Why a plain HTTP request was answered at the edge, before any service saw it.
enum HTTPRequestError: Error, Sendable, Equatable {
    /// A broken percent-encoding in the path or the query, or a body that is not JSON: 400.
    case badRequest
    /// A body larger than `maxPayload`: 413.
    case payloadTooLarge
    /// A body whose `Content-Type` is not JSON: 415. A browser sends `text/plain` or form
    /// bodies cross-site without a CORS preflight; refusing them keeps cookie-authenticated
    /// routes safe from such forged requests.
    case unsupportedMediaType
}

/// A plain HTTP request as the HTTP handler hands it to the hub: nothing of NIO in it.
struct HTTPIncoming: Sendable {
    /// The method, e.g. `GET`.
    var method: String
    /// The request target: path and query.
    var target: String
    /// The `Cookie` header.
    var cookie: String?
    /// The `Authorization` header.
    var authorization: String?
    /// The `Content-Type` header.
    var contentType: String?
    /// The client's address.
    var address: String
    /// The HTTP namespace of the listener's app (`http`, or `<app>:http`), whose routes serve it.
    var namespace: String
    /// The body, up to one byte past `maxPayload`.
    var body: [UInt8]
}

/// A plain HTTP request for a service's route, as the bus event's one argument:
/// `{"method", "path", "params", "query", "body"}`. A value: built and tested without NIO.
struct HTTPRouteRequest: Sendable, Equatable {
    /// The method, e.g. `GET`.
    var method: String
    /// The path as the client sent it, without the query (not decoded).
    var path: String
    /// The route's parameters, percent-decoded.
    var params: [String: String]
    /// The query's parameters, percent-decoded (`+` is a space); a repeated name keeps its last value.
    var query: [String: String]
    /// The body parsed as JSON; `null` when the request had none.
    var body: JSON

    /// The path and the query text of a request target (`/a/b?x=1` → `/a/b`, `x=1`).
    static func split(target: String) -> (path: String, query: Substring) {
        guard let mark = target.firstIndex(of: "?") else { return (target, "") }
        return (String(target[..<mark]), target[target.index(after: mark)...])
    }

    /// The parameters of a query string as HTML forms and Express write them (`a=1&b=x%20y`,
    /// `+` for a space). A name without `=` has the empty value; a repeated name keeps its last
    /// value; empty pairs are skipped. Throws ``HTTPRequestError/badRequest`` for a broken
    /// percent-encoding.
    static func parseQuery(_ text: Substring) throws(HTTPRequestError) -> [String: String] {
        var query: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0])
            query[name] = parts.count > 1 ? try decode(parts[1]) : ""
        }
        return query
    }

    /// A request body as JSON: no bytes is `null`; anything else must be declared
    /// `application/json` (or `…+json`, parameters allowed) and be one JSON value.
    static func parseBody(_ bytes: [UInt8], contentType: String?, maxPayload: Int) throws(HTTPRequestError) -> JSON {
        guard bytes.count <= maxPayload else { throw .payloadTooLarge }
        guard !bytes.isEmpty else { return .null }
        let mediaType = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
        else { throw .unsupportedMediaType }
        guard let value = try? JSONCoding.decode(JSON.self, from: Data(bytes)) else { throw .badRequest }
        return value
    }

    /// The event's argument list: `[{"method", "path", "params", "query", "body"}]`.
    var arguments: [JSON] {
        [.object([
            "method": .string(method), "path": .string(path),
            "params": .object(params.mapValues(JSON.string)), "query": .object(query.mapValues(JSON.string)),
            "body": body,
        ])]
    }

    private static func decode(_ text: Substring) throws(HTTPRequestError) -> String {
        guard let decoded = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
            throw .badRequest
        }
        return decoded
    }
}
