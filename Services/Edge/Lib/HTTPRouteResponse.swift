import Bus
import Contracts

/// The answer to a plain HTTP request for a service's route: a status, a JSON body and the
/// service's own headers. A value: the mapping from a reply (or a delivery failure) is tested
/// without NIO.
struct HTTPRouteResponse: Sendable, Equatable {
    /// The status code.
    var status: Int
    /// The body: JSON text, or empty for none.
    var body: String
    /// Headers the service asked for, in name order (the edge's own headers are not among them).
    var headers: [(name: String, value: String)] = []
    /// The error code of a response the edge wrote itself (`{"error": code}`), which a route's
    /// declared failure body replaces; `nil` for a service's answer.
    var code: String?

    /// Headers the edge writes itself; a service's value for one of them is ignored.
    /// The `access-control-` headers (CORS) and `vary` are the edge's too (see ``isReserved(_:)``).
    static let reservedHeaders: Set<String> = ["content-type", "content-length", "transfer-encoding", "connection", "vary"]

    /// `true` for a header the edge writes itself.
    static func isReserved(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return reservedHeaders.contains(lowered) || lowered.hasPrefix("access-control-")
    }

    /// A response with status `status` and body `{"error": code}`.
    static func error(_ status: Int, _ code: String) -> HTTPRouteResponse {
        var response = HTTPRouteResponse(status: status, body: JSON.object(["error": .string(code)]).jsonText)
        response.code = code
        return response
    }

    /// 404 `{"error":"NOT_FOUND"}`: no service announced a route matching the request.
    static let notFound = error(404, "NOT_FOUND")
    /// 400 `{"error":"BAD_REQUEST"}`: a broken percent-encoding, or a body that is not JSON.
    static let badRequest = error(400, "BAD_REQUEST")
    /// 413 `{"error":"PAYLOAD_TOO_LARGE"}`: a body larger than `maxPayload`.
    static let payloadTooLarge = error(413, "PAYLOAD_TOO_LARGE")
    /// 415 `{"error":"UNSUPPORTED_MEDIA_TYPE"}`: a body that is not declared `application/json`.
    static let unsupportedMediaType = error(415, "UNSUPPORTED_MEDIA_TYPE")
    /// 401 `{"error":"E_UNAUTHORIZED"}`: a credential was sent and is not valid.
    static let unauthorized = error(401, "E_UNAUTHORIZED")
    /// 500 `{"error":"INTERNAL_ERROR"}`: the service failed or answered something unusable.
    static let internalError = error(500, "INTERNAL_ERROR")

    /// The response for a request refused at the edge.
    init(_ error: HTTPRequestError) {
        switch error {
        case .badRequest: self = .badRequest
        case .payloadTooLarge: self = .payloadTooLarge
        case .unsupportedMediaType: self = .unsupportedMediaType
        }
    }

    /// A response from its parts.
    init(status: Int, body: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    /// The response for an event that got no reply: `SERVICE_UNAVAILABLE`, `OVERLOADED` and
    /// `SHUTTING_DOWN` are 503 with their code; `UNKNOWN_EVENT` (the route is gone) is 404; any
    /// other is 500 `INTERNAL_ERROR`.
    init(_ failure: DeliveryFailure) {
        switch failure {
        case .timedOut, .overloaded, .closed: self = .error(503, failure.code)
        case .unknownEvent: self = .notFound
        case .duplicateID: self = .internalError
        }
    }

    /// The response a reply's instructions give: the first `ack` instruction's first argument,
    /// `{"status": 200…599, "body"?: JSON, "headers"?: {name: string}}`. `nil` (answered 500
    /// `INTERNAL_ERROR`) without an ack or with anything else there.
    static func answer(in instructions: [Instruction]) -> HTTPRouteResponse? {
        guard let answer = instructions.lazy.compactMap(\.ackArguments).first?.first else { return nil }
        return HTTPRouteResponse(answer: answer)
    }

    /// Reads `{"status", "body"?, "headers"?}`; `nil` when it is not that shape, the status is
    /// outside 200…599 (a 1xx cannot end a response) or a header is not a valid name and text.
    init?(answer: JSON) {
        guard let status = answer["status"]?.intValue, (200...599).contains(status) else { return nil }
        var headers: [(name: String, value: String)] = []
        if let given = answer["headers"], !given.isNull {
            guard let members = given.objectValue else { return nil }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                guard let text = value.stringValue, Self.isToken(name), Self.isFieldValue(text) else { return nil }
                if !Self.isReserved(name) { headers.append((name, text)) }
            }
        }
        // 204 and 304 carry no body: one would be written unframed after the head.
        let body = status == 204 || status == 304 ? nil : answer["body"]
        self.init(status: Int(status), body: body.map(\.jsonText) ?? "", headers: headers)
    }

    /// Same status, body and headers in the same order (tuples are not `Equatable` themselves).
    static func == (a: HTTPRouteResponse, b: HTTPRouteResponse) -> Bool {
        a.status == b.status && a.body == b.body && a.headers.map(\.name) == b.headers.map(\.name)
            && a.headers.map(\.value) == b.headers.map(\.value)
    }

    /// RFC 9110 token characters, as a header name must be.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
        }
    }

    /// A header value: tab and visible ASCII (no CR, LF or other control characters).
    private static func isFieldValue(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value < 0x7F) }
    }
}

extension Instruction {
    /// The arguments of an `ack`, `nil` for every other instruction.
    var ackArguments: [JSON]? {
        if case .ack(let ack) = self { return ack.args }
        return nil
    }
}
