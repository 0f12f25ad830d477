/// A request rejection, with the codes and messages of the reference server.
///
/// The reference answers a rejected HTTP request with status 400 (403 for ``Code/forbidden``)
/// and the JSON body `{"code":N,"message":"..."}`.
public struct EngineError: Error, Sendable, Hashable {
    /// The error codes a client can see in the JSON body.
    public enum Code: Int, Sendable, CaseIterable {
        /// The `transport` query parameter is missing or not enabled.
        case unknownTransport = 0
        /// The `sid` names no open session.
        case unknownSessionID = 1
        /// A handshake (no `sid`) was not a GET.
        case badHandshakeMethod = 2
        /// Anything else wrong with the request.
        case badRequest = 3
        /// The request was refused by an admission check.
        case forbidden = 4
        /// `EIO` is not `4`.
        case unsupportedProtocolVersion = 5

        /// The reference's message for the code.
        public var defaultMessage: String {
            switch self {
            case .unknownTransport: "Transport unknown"
            case .unknownSessionID: "Session ID unknown"
            case .badHandshakeMethod: "Bad handshake method"
            case .badRequest: "Bad request"
            case .forbidden: "Forbidden"
            case .unsupportedProtocolVersion: "Unsupported protocol version"
            }
        }
    }

    /// The error code.
    public var code: Code
    /// The message; the code's default unless an admission check gave its own.
    public var message: String

    /// An error with `code` and its default message, or `message` when given.
    public init(_ code: Code, message: String? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
    }

    /// The HTTP status: 403 for ``Code/forbidden``, 400 for everything else.
    public var httpStatus: Int { code == .forbidden ? 403 : 400 }

    /// The JSON body, e.g. `{"code":0,"message":"Transport unknown"}`.
    public var jsonBody: String {
        "{\"code\":\(code.rawValue),\"message\":\(Self.jsonString(message))}"
    }

    /// The HTTP response the reference sends for this error.
    public var response: EngineHTTPResponse {
        EngineHTTPResponse(status: httpStatus, contentType: "application/json", body: jsonBody)
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// An HTTP response for the polling transport, without any networking type.
public struct EngineHTTPResponse: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// The `Content-Type` header, or `nil` for none.
    public var contentType: String?
    /// The body text (UTF-8).
    public var body: String

    /// A response with the given parts.
    public init(status: Int, contentType: String? = nil, body: String = "") {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// The answer to a long poll: 200 with an encoded payload.
    public static func poll(_ payload: String) -> EngineHTTPResponse {
        EngineHTTPResponse(status: 200, contentType: "text/plain; charset=UTF-8", body: payload)
    }

    /// The answer to an accepted POST: 200 `ok` as `text/html`, like the reference.
    public static let ok = EngineHTTPResponse(status: 200, contentType: "text/html", body: "ok")

    /// The bare 400 the reference sends to an overlapping GET or POST.
    public static let bareBadRequest = EngineHTTPResponse(status: 400)

    /// The bare 413 for a POST body larger than `maxPayload`.
    public static let payloadTooLarge = EngineHTTPResponse(status: 413)
}
