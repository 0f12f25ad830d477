/// The bus topics (frame 0). Subscriptions match by prefix, so receivers also check the
/// exact topic: a subscriber to `edge` sees `edge.<id>` of other edges and drops them.
public enum Topic {
    /// Instructions for every edge.
    public static let edge = "edge"
    /// Facts about sockets, published by edges.
    public static let life = "life"
    /// Announcements of every process.
    public static let hello = "hello"

    /// Events for a service, e.g. `svc.chat`.
    public static func service(_ name: String) -> String { "svc.\(name)" }
    /// Instructions only one edge can carry out.
    public static func edge(_ edgeID: String) -> String { "edge.\(edgeID)" }
    /// Replies to requests made by one process instance.
    public static func inbox(_ instance: String) -> String { "inbox.\(instance)" }
}

/// One `(namespace, event)` pair a service handles.
public struct Route: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Socket.IO namespace, e.g. `/`.
    public var ns: String
    /// Event name.
    public var event: String

    /// A route for `event` on namespace `ns`.
    public init(ns: String, event: String) {
        self.ns = ns
        self.event = event
    }

    /// `ns event`, e.g. `/user call:initiate`; a request between services (namespace `""`)
    /// reads `bus isOnline`.
    public var description: String { "\(ns.isEmpty ? "bus" : ns) \(event)" }

    /// The namespace of the HTTP routes of the app a socket namespace belongs to: `http` for a
    /// client namespace of the edge's unnamed app (`/…`), `<app>:http` for a bus namespace of app
    /// `<app>` (`<app>/…`, docs/edge.md "Apps"). An app's name has no `:` and a socket namespace
    /// of an app has a `/`, so neither can be taken for the other.
    public static func httpNamespace(of socketNamespace: String) -> String {
        guard !socketNamespace.hasPrefix("/"), let slash = socketNamespace.firstIndex(of: "/") else { return "http" }
        return socketNamespace[..<slash] + ":http"
    }

    /// `true` for a namespace of HTTP routes: `http` or `<app>:http`.
    public static func isHTTPNamespace(_ ns: String) -> Bool {
        ns == "http" || ns.hasSuffix(":http")
    }
}

/// The kinds of fact an edge publishes on `life`.
public enum LifeFactKind: String, Codable, Sendable, CaseIterable {
    /// A socket connected to a namespace.
    case connected
    /// A socket left a namespace (with the reason).
    case disconnected
    /// A socket joined a room.
    case joined
    /// A socket left a room.
    case left
    /// An edge's answer to a resync request: every live socket with its user and rooms.
    case snapshot
}

/// The body of a `hello` message.
public struct Hello: Codable, Sendable, Equatable {
    /// Service name, e.g. `chat`, or `edge` for edges.
    public var service: String
    /// Instance id, unique per process start.
    public var instance: String
    /// Milliseconds since the Unix epoch when the process started.
    public var started: Int64
    /// `false` while the process is still waiting to hear its own hello back.
    public var ready: Bool
    /// The `(namespace, event)` pairs this instance answers.
    public var handles: [Route]
    /// What a client gets when one of these events fails (``FailureShape``); absent when the
    /// instance declares none. Set after ``init(service:instance:started:ready:handles:life:interval:lifeStream:)``.
    public var failures: [FailureShape]?
    /// The life facts this instance wants to receive.
    public var life: [LifeFactKind]
    /// Milliseconds between two hellos of this instance.
    public var interval: Int
    /// An edge's last published life fact (`{epoch, seq}`), so that a service notices facts it
    /// missed even when no other fact follows; absent for other processes.
    public var lifeStream: LifeStamp?
    /// `true` when this instance reads bundles (several envelopes in one two-frame message,
    /// docs/bus-protocol.md §3); absent means it does not. Set after the initializer.
    public var bundles: Bool?

    /// A hello with every field given.
    public init(service: String, instance: String, started: Int64, ready: Bool,
                handles: [Route], life: [LifeFactKind], interval: Int, lifeStream: LifeStamp? = nil)
    {
        self.service = service
        self.instance = instance
        self.started = started
        self.ready = ready
        self.handles = handles
        self.life = life
        self.interval = interval
        self.lifeStream = lifeStream
    }
}
