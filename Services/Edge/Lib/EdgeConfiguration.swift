import Foundation

/// The edge's settings: a JSON file (`EDGE_CONFIG`), every key optional. Without a file the edge
/// serves every contract on port 3000 with socket.io's defaults. `deploy/edge.example.json`
/// shows every key; `docs/edge.md` explains them.
struct EdgeConfiguration: Sendable {
    /// How a namespace authenticates its connections.
    enum AuthMode: String, Codable, Sendable {
        /// Anonymous; payload fields are trusted as the contract does (HomeAssistant).
        case none
        /// HS256 JWT in the CONNECT payload's `token`; refused without one.
        case jwt
        /// express-session's signed `connect.sid` cookie; refused without one (`E_UNAUTHORIZED`).
        case session
        /// A session cookie if one is sent, else a JWT if one is sent, else anonymous.
        /// A credential that is sent must be valid.
        case optional
    }

    /// One namespace's rules.
    struct Namespace: Codable, Sendable, Equatable {
        /// How it authenticates. Default `optional`.
        var auth: AuthMode = .optional
        /// The role a JWT must carry (`USER`, `TELECALLER`); `nil` accepts any.
        var role: String?
        /// Ask the service that announced `(namespace, "connect")` to accept or reject each
        /// connection after authentication. Default `false`.
        var decide = false
        /// Connection attempts allowed per address per minute; `nil` takes
        /// ``Limits/connectionsPerMinute`` (600), 0 is no limit.
        var connectionsPerMinute: Int?
    }

    /// One listening socket.
    struct Listener: Codable, Sendable, Equatable {
        /// Address to bind. Default `127.0.0.1`: serving other machines is a choice, which needs
        /// secrets of one's own (``checkExposure()``).
        var host = "127.0.0.1"
        /// TCP port.
        var port: Int
        /// Namespaces served on this port; `nil` means the top-level `namespaces`.
        var namespaces: [String: Namespace]?
        /// Plain Engine.IO paths served on this port; `nil` means the top-level `engines`.
        var engines: [String: String]?
        /// The app its namespaces belong to (``EdgeApps``): listeners naming the same app share its
        /// namespaces, rooms and broadcasts; `nil` (the default) is the unnamed app, whose bus
        /// namespaces are the client's own.
        var app: String?
    }

    /// CORS for the polling transport.
    struct CORS: Codable, Sendable, Equatable {
        /// Allowed origins; `*` allows any (the request's origin is echoed). Default `["*"]`.
        var origins = ["*"]
        /// `Access-Control-Allow-Credentials: true`. Default `true`, as cookies carry sessions.
        var credentials = true
    }

    /// express-session compatibility.
    struct Session: Codable, Sendable, Equatable {
        /// The express-session secret published with the project: for development only.
        static let developmentSecret = "switchboard-development-session-secret-change-me"
        /// The express-session secret. Default from `EDGE_SESSION_SECRET`, else ``developmentSecret``.
        var secret = developmentSecret
        /// SQLite file with connect-sqlite3's `sessions` table. Default `data/sessions.sqlite`.
        var database = "data/sessions.sqlite"
        /// Cookie name. Default `connect.sid`.
        var cookie = "connect.sid"
    }

    /// Bounds on events waiting for a service.
    struct Delivery: Codable, Sendable, Equatable {
        /// Milliseconds before an unanswered event is published again. Default 1000.
        var retryMilliseconds: Int64 = 1000
        /// Milliseconds before an unanswered event fails. Default 10,000.
        var maxAgeMilliseconds: Int64 = 10_000
        /// Events that may wait at once. Default 10,000.
        var maxPending = 10_000
    }

    /// Where clients connect. Default one listener on port 3000.
    var listeners = [Listener(port: 3000)]
    /// Engine.IO path. Default `/socket.io/`.
    var path = "/socket.io/"
    /// Milliseconds between server pings. Default 25,000.
    var pingInterval: Int64 = 25_000
    /// Milliseconds to wait for a pong. Default 20,000.
    var pingTimeout: Int64 = 20_000
    /// Largest message or POST body in bytes. Default 1,000,000.
    var maxPayload = 1_000_000
    /// Milliseconds a client may take to join a namespace. Default 45,000.
    var connectTimeout: Int64 = 45_000
    /// Namespaces of listeners that name none. Default: every contract's (see ``defaultNamespaces``).
    var namespaces = EdgeConfiguration.defaultNamespaces
    /// The HS256 secret published with the project: for development only.
    static let developmentJWTSecret = "switchboard-development-jwt-secret-change-me-now"
    /// The HS256 secret of client JWTs (≥ 32 bytes). Default from `EDGE_JWT_SECRET`, else ``developmentJWTSecret``.
    var jwtSecret = developmentJWTSecret
    /// Session cookie settings.
    var session = Session()
    /// CORS for polling.
    var cors = CORS()
    /// Delivery bounds.
    var delivery = Delivery()
    /// Timeouts and rate limits.
    var limits = Limits()
    /// Event loops (threads) serving connections, each with its own sockets and rooms; `nil`
    /// (the default) is one per core the process may run on: its CPU affinity mask, capped by
    /// the cgroup's quota (``EdgeServer/defaultLoops``).
    var loops: Int?
    /// Plain Engine.IO endpoints of listeners that name none: path (e.g. `/engine.io/`) → the bus
    /// namespace their messages are published on. Default none.
    var engines: [String: String] = [:]

    /// The contracts' namespaces: `/` for Zizany, HomeAssistant, Chatto and audio rooms
    /// (optional auth: a cookie or a token is checked when sent), `/user` and `/telecaller`
    /// for the telecaller app (JWT with role, the call service decides, 10 attempts a minute).
    static let defaultNamespaces: [String: Namespace] = [
        "/": Namespace(auth: .optional),
        "/user": Namespace(auth: .jwt, role: "USER", decide: true, connectionsPerMinute: 10),
        "/telecaller": Namespace(auth: .jwt, role: "TELECALLER", decide: true, connectionsPerMinute: 10),
    ]

    /// The namespaces served on listener `index`.
    func namespaces(ofListener index: Int) -> [String: Namespace] {
        listeners[index].namespaces ?? namespaces
    }

    /// The bus namespace of client namespace `namespace` on listener `index` (``EdgeApps``).
    func busNamespace(_ namespace: String, ofListener index: Int) -> String {
        EdgeApps.busNamespace(namespace, app: listeners[index].app)
    }

    /// The plain Engine.IO endpoints served on listener `index`: path → bus namespace.
    func engines(ofListener index: Int) -> [String: String] {
        listeners[index].engines ?? engines
    }
}

// Every nested struct reads with its defaults for missing keys, like the top level.
extension EdgeConfiguration.Namespace {
    private enum Keys: String, CodingKey { case auth, role, decide, connectionsPerMinute }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        auth = try c.decodeIfPresent(EdgeConfiguration.AuthMode.self, forKey: .auth) ?? auth
        role = try c.decodeIfPresent(String.self, forKey: .role)
        decide = try c.decodeIfPresent(Bool.self, forKey: .decide) ?? decide
        connectionsPerMinute = try c.decodeIfPresent(Int.self, forKey: .connectionsPerMinute)
    }
}

extension EdgeConfiguration.Listener {
    private enum Keys: String, CodingKey { case host, port, namespaces, engines, app }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        port = try c.decode(Int.self, forKey: .port)
        host = try c.decodeIfPresent(String.self, forKey: .host) ?? host
        namespaces = try c.decodeIfPresent([String: EdgeConfiguration.Namespace].self, forKey: .namespaces)
        engines = try c.decodeIfPresent([String: String].self, forKey: .engines)
        app = try c.decodeIfPresent(String.self, forKey: .app)
        if let app, !EdgeApps.isValidName(app) {
            throw ConfigurationError("app \"\(app)\": letters, digits, '-', '_' or '.', 1 to 64 of them")
        }
    }
}

extension EdgeConfiguration.CORS {
    private enum Keys: String, CodingKey { case origins, credentials }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        origins = try c.decodeIfPresent([String].self, forKey: .origins) ?? origins
        credentials = try c.decodeIfPresent(Bool.self, forKey: .credentials) ?? credentials
    }
}

extension EdgeConfiguration.Session {
    private enum Keys: String, CodingKey { case secret, database, cookie }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        secret = try c.decodeIfPresent(String.self, forKey: .secret) ?? secret
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? database
        cookie = try c.decodeIfPresent(String.self, forKey: .cookie) ?? cookie
    }
}

extension EdgeConfiguration.Delivery {
    private enum Keys: String, CodingKey { case retryMilliseconds, maxAgeMilliseconds, maxPending }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        retryMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .retryMilliseconds) ?? retryMilliseconds
        maxAgeMilliseconds = try c.decodeIfPresent(Int64.self, forKey: .maxAgeMilliseconds) ?? maxAgeMilliseconds
        maxPending = try c.decodeIfPresent(Int.self, forKey: .maxPending) ?? maxPending
    }
}

extension EdgeConfiguration: Codable {
    private enum Keys: String, CodingKey {
        case listeners, path, pingInterval, pingTimeout, maxPayload, connectTimeout, namespaces, jwtSecret,
             session, cors, delivery, limits, engines, loops
    }

    /// Reads a configuration; every missing key keeps its default.
    init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: Keys.self)
        listeners = try c.decodeIfPresent([Listener].self, forKey: .listeners) ?? listeners
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? path
        pingInterval = try c.decodeIfPresent(Int64.self, forKey: .pingInterval) ?? pingInterval
        pingTimeout = try c.decodeIfPresent(Int64.self, forKey: .pingTimeout) ?? pingTimeout
        maxPayload = try c.decodeIfPresent(Int.self, forKey: .maxPayload) ?? maxPayload
        connectTimeout = try c.decodeIfPresent(Int64.self, forKey: .connectTimeout) ?? connectTimeout
        namespaces = try c.decodeIfPresent([String: Namespace].self, forKey: .namespaces) ?? namespaces
        jwtSecret = try c.decodeIfPresent(String.self, forKey: .jwtSecret) ?? jwtSecret
        session = try c.decodeIfPresent(Session.self, forKey: .session) ?? session
        cors = try c.decodeIfPresent(CORS.self, forKey: .cors) ?? cors
        delivery = try c.decodeIfPresent(Delivery.self, forKey: .delivery) ?? delivery
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? limits
        loops = try c.decodeIfPresent(Int.self, forKey: .loops)
        if let loops, !(1...4096).contains(loops) { throw ConfigurationError("loops must be 1 to 4,096") }
        engines = try c.decodeIfPresent([String: String].self, forKey: .engines) ?? engines
    }

    /// Writes every key.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(listeners, forKey: .listeners)
        try c.encode(path, forKey: .path)
        try c.encode(pingInterval, forKey: .pingInterval)
        try c.encode(pingTimeout, forKey: .pingTimeout)
        try c.encode(maxPayload, forKey: .maxPayload)
        try c.encode(connectTimeout, forKey: .connectTimeout)
        try c.encode(namespaces, forKey: .namespaces)
        try c.encode(jwtSecret, forKey: .jwtSecret)
        try c.encode(session, forKey: .session)
        try c.encode(cors, forKey: .cors)
        try c.encode(delivery, forKey: .delivery)
        try c.encode(limits, forKey: .limits)
        try c.encodeIfPresent(loops, forKey: .loops)
        try c.encode(engines, forKey: .engines)
    }

    /// The configuration for this process: the file named by `EDGE_CONFIG` (if any), then
    /// `EDGE_JWT_SECRET`, `EDGE_SESSION_SECRET` and `EDGE_PORT` from the environment. A listener
    /// beyond this machine with a development secret is refused (``checkExposure()``).
    static func load(environment: [String: String]) throws -> EdgeConfiguration {
        var configuration = EdgeConfiguration()
        if let path = environment["EDGE_CONFIG"], !path.isEmpty {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: data)
        }
        if let secret = environment["EDGE_JWT_SECRET"] { configuration.jwtSecret = secret }
        if let secret = environment["EDGE_SESSION_SECRET"] { configuration.session.secret = secret }
        if let port = environment["EDGE_PORT"].flatMap(Int.init), configuration.listeners.count == 1 {
            configuration.listeners[0].port = port
        }
        guard configuration.jwtSecret.utf8.count >= 32 else {
            throw ConfigurationError("jwtSecret must be at least 32 bytes")
        }
        try configuration.checkExposure()
        return configuration
    }
}

/// A configuration that cannot be used, with the reason.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
