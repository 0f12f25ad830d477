import Contracts
import Foundation
import GRDB

/// A service: its name, its handlers, the life facts it wants and its database.
public struct ServiceDefinition: Sendable {
    /// Service name: topic `svc.<name>`, file `<name>.sqlite`.
    public var name: String
    /// Handlers by `(namespace, event)`, announced in hello.
    public private(set) var handlers: [Route: Handler] = [:]
    /// The routes whose handlers were declared pure (they never write).
    public private(set) var pureRoutes: Set<Route> = []
    /// What a client gets when an event fails before or in its handler, by route
    /// (``onFailure(_:_:ack:emit:body:)``), announced in hello.
    public private(set) var failureShapes: [Route: FailureShape] = [:]
    /// What each route acknowledges when its handler gives no `ack` to an event that asked for
    /// one (``on(_:_:pure:ack:_:)``): the arguments of the automatic `ack`.
    public private(set) var acks: [Route: [JSON]] = [:]
    /// Life facts wanted, with their handler.
    public private(set) var lifeHandlers: [LifeFactKind: Handler] = [:]
    /// What a change to the edges' sockets means to the service, when it keeps a mirror of them
    /// (``mirrorSockets(startTimeout:_:)``).
    public private(set) var socketHandler: SocketHandler?
    /// How long start-up waits for the edges' snapshots before it hands on what it has.
    public private(set) var mirrorStartTimeout: Duration = .seconds(3)
    /// Migrations of the service's SQLite file; `nil` for a service without a database
    /// (its dedup store is then bounded memory).
    public var migrations: (@Sendable (inout DatabaseMigrator) -> Void)?
    /// Runs once the service's subscriptions are live and before it announces itself: events
    /// are not answered until it returns (their publishers send them again once the service
    /// says hello), while life facts and hellos keep flowing, e.g. to rebuild state.
    public var onStart: (@Sendable (ServiceControl) async throws -> Void)?
    /// Handlers for instances of other services that stopped saying hello (3 intervals), by
    /// service name; the event's `args` hold the gone instance's hello.
    public private(set) var goneHandlers: [String: Handler] = [:]
    /// Long-running work started once the service is ready, cancelled at shutdown.
    public private(set) var backgroundTasks: [@Sendable (ServiceControl) async -> Void] = []

    /// A definition with no handlers yet.
    public init(name: String) {
        self.name = name
    }

    /// The automatic acknowledgement of a route that declares none: `{"success": true}`, the
    /// success shape the contracts' own handlers use (Chatto's `ack.success`, the audio rooms'
    /// `{success, error}`).
    public static let successAck: [JSON] = [["success": true]]
    /// The automatic acknowledgement of an HTTP route (`ns` `http` or `<app>:http`) that declares none:
    /// `{"status": 204}`, a response without a body.
    public static let noContentAck: [JSON] = [["status": 204]]

    /// Handles `event` on namespace `ns`.
    ///
    /// `pure: true` declares that the handler never writes (``Context/write(_:)`` then throws):
    /// echoes, typing, reads. Its replies are deduplicated in memory only, and a repeat of its
    /// event is never looked up in SQLite. Whatever the declaration, a reply is stored in
    /// SQLite only when the handler wrote.
    ///
    /// `ack` is what the route acknowledges when the client asked for an acknowledgement and
    /// the handler's instructions answer none (its success shape, the handler having nothing
    /// more to say): the runtime then adds `ack` with these arguments at the end of the reply
    /// (and of what ``Context/write(_:)`` stores). By default ``successAck``, and
    /// ``noContentAck`` on `http`. A refusal must be acknowledged by the handler itself.
    public mutating func on(_ ns: String, _ event: String, pure: Bool = false, ack: [JSON]? = nil,
                            _ handler: @escaping Handler)
    {
        let route = Route(ns: ns, event: event)
        handlers[route] = handler
        acks[route] = ack ?? (Route.isHTTPNamespace(ns) ? Self.noContentAck : Self.successAck)
        if pure { pureRoutes.insert(route) } else { pureRoutes.remove(route) }
    }

    /// Declares what a client gets when `event` on `ns` (``FailureShape/anyEvent``: every event
    /// of `ns` without a declaration of its own, announced or not) cannot be delivered to the
    /// service within the edge's delivery bound, or is answered with an `error` reply: the
    /// arguments of its `ack`, an `emit` to the sending socket, and for `http` routes the `body`
    /// of the edge's error responses. The edge fills the templates' markers (``FailureShape``).
    /// Give the contract's shape for an internal failure; a refusal the handler decides is
    /// still the handler's to answer.
    public mutating func onFailure(_ ns: String, _ event: String, ack: [JSON]? = nil,
                                   emit: FailureShape.Emit? = nil, body: JSON? = nil)
    {
        failureShapes[Route(ns: ns, event: event)] = FailureShape(ns: ns, event: event, ack: ack, emit: emit, body: body)
    }

    /// Handles life facts of `kind`; the event's `args` hold the fact object.
    public mutating func onLife(_ kind: LifeFactKind, _ handler: @escaping Handler) {
        lifeHandlers[kind] = handler
    }

    /// Keeps a mirror of every edge's sockets (``EdgeMirror``): ServiceKit asks the edges for
    /// snapshots at start (waiting at most `startTimeout` for them), applies their numbered life
    /// facts, rebuilds an edge's part after a gap, a new epoch or its return from gone, and drops
    /// it when the edge goes. `handler` is told every change, a rebuilt edge's difference at once,
    /// and the whole initial state once at start (``SocketUpdate/isInitial``); its instructions go
    /// out as an `emit`, durably when it wrote.
    public mutating func mirrorSockets(startTimeout: Duration = .seconds(3), _ handler: @escaping SocketHandler) {
        socketHandler = handler
        mirrorStartTimeout = startTimeout
    }

    /// Handles an instance of `service` going silent; its instructions go out as an `emit`.
    public mutating func onGone(_ service: String, _ handler: @escaping Handler) {
        goneHandlers[service] = handler
    }

    /// Runs `task` from readiness until shutdown (e.g. a timer loop that emits).
    public mutating func background(_ task: @escaping @Sendable (ServiceControl) async -> Void) {
        backgroundTasks.append(task)
    }

    /// The failure shapes to announce, sorted for a stable hello.
    var failures: [FailureShape] {
        failureShapes.values.sorted { ($0.ns, $0.event) < ($1.ns, $1.event) }
    }

    /// The routes to announce, sorted for a stable hello.
    var routes: [Route] {
        handlers.keys.sorted { ($0.ns, $0.event) < ($1.ns, $1.event) }
    }
}
