import Foundation

/// The two Engine.IO transports.
public enum EngineTransport: String, Sendable, Hashable, CaseIterable {
    /// HTTP long-polling.
    case polling
    /// WebSocket.
    case websocket
}

/// An HTTP request to the Engine.IO path, checked and classified as the reference server does.
///
/// Checks run in the reference's order: transport (code 0), `Origin` header characters (3),
/// then for a request without `sid`: method (2), WebSocket without upgrade (3), `EIO` (5).
/// Whether a `sid` names a live session (code 1) and whether its transport still matches (3)
/// need the session table, so the caller and ``EngineSession`` check those.
public struct EngineRequest: Sendable, Hashable {
    /// Which routing rules a request is checked against.
    public struct Configuration: Sendable, Hashable {
        /// The path prefix served, compared like the reference (`url` starts with it).
        /// Default `/socket.io/`.
        public var path: String
        /// The transports enabled. Default: polling and WebSocket.
        public var transports: Set<EngineTransport>

        /// A configuration; the defaults are those of socket.io 4.
        public init(path: String = "/socket.io/", transports: Set<EngineTransport> = [.polling, .websocket]) {
            self.path = path
            self.transports = transports
        }
    }

    /// What the request asks for.
    public enum Kind: Sendable, Hashable {
        /// A new session over the given transport (polling GET or WebSocket upgrade).
        case handshake(EngineTransport)
        /// A long-poll GET for session `sid`.
        case poll(sid: String)
        /// A POST of packets for session `sid`.
        case post(sid: String)
        /// A WebSocket upgrade for the existing polling session `sid`.
        case upgrade(sid: String)
        /// A polling request for session `sid` with a method other than GET or POST: the
        /// reference answers 500 when the session exists and leaves the session alone.
        case otherMethod(sid: String)
    }

    /// What the request asks for.
    public var kind: Kind
    /// The transport named in the query.
    public var transport: EngineTransport
    /// The query parameters; a repeated name keeps its last value.
    public var query: [String: String]

    /// Classifies a request. Returns `nil` when `target` is outside the configured path (the
    /// caller answers it some other way) and throws the error the reference would answer with.
    ///
    /// - Parameters:
    ///   - method: the HTTP method, e.g. `GET`.
    ///   - target: the request target, path and query, e.g. `/socket.io/?EIO=4&transport=polling`.
    ///   - headers: the header fields; names are compared case-insensitively.
    public init?(method: String, target: String, headers: [(name: String, value: String)],
                 configuration: Configuration = Configuration()) throws(EngineError) {
        guard target.hasPrefix(configuration.path) else { return nil }
        var query: [String: String] = [:]
        for item in URLComponents(string: target)?.queryItems ?? [] {
            query[item.name] = item.value ?? ""
        }
        guard let transport = query["transport"].flatMap(EngineTransport.init(rawValue:)),
              configuration.transports.contains(transport)
        else { throw EngineError(.unknownTransport) }
        if let origin = Self.header("origin", in: headers), !Self.isValidHeaderValue(origin) {
            throw EngineError(.badRequest)
        }
        let isUpgrade = Self.header("upgrade", in: headers)?.lowercased() == "websocket"
        self.transport = transport
        self.query = query
        self.kind = try Self.classify(method: method, transport: transport, sid: query["sid"],
                                      eio: query["EIO"], isUpgrade: isUpgrade)
    }

    /// The session id named in the query, if any.
    public var sid: String? { query["sid"].flatMap { $0.isEmpty ? nil : $0 } }

    private static func classify(method: String, transport: EngineTransport, sid: String?,
                                 eio: String?, isUpgrade: Bool) throws(EngineError) -> Kind {
        if let sid, !sid.isEmpty {
            switch (transport, isUpgrade, method) {
            case (.websocket, true, "GET"): return .upgrade(sid: sid)
            case (.polling, false, "GET"): return .poll(sid: sid)
            case (.polling, false, "POST"): return .post(sid: sid)
            case (.polling, false, _): return .otherMethod(sid: sid)
            default: throw EngineError(.badRequest)
            }
        }
        guard method == "GET" else { throw EngineError(.badHandshakeMethod) }
        guard isUpgrade == (transport == .websocket) else { throw EngineError(.badRequest) }
        guard eio == "4" else { throw EngineError(.unsupportedProtocolVersion) }
        return .handshake(transport)
    }

    private static func header(_ name: String, in headers: [(name: String, value: String)]) -> String? {
        headers.last { $0.name.lowercased() == name }?.value
    }

    /// Whether every character may appear in a header value (tab, visible ASCII, and 0x80–0xFF).
    private static func isValidHeaderValue(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { scalar in
            scalar == "\t" || (scalar.value >= 0x20 && scalar.value != 0x7F && scalar.value <= 0xFF)
        }
    }
}
