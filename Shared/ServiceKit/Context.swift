import Bus
import Contracts
import Foundation
import GRDB
import Logging
import Synchronization

/// What a handler may use besides its event: the database, a logger, attachments, emits.
public struct Context: Sendable {
    /// Why a context call could not be carried out.
    public enum Failure: Error, Equatable {
        /// ``Context/write(_:)`` on a service defined without a database.
        case noDatabase
    }

    /// Logger with the event's id and name attached.
    public let logger: Logger
    /// This process's instance id.
    public let instance: String
    /// The service's database, when its definition has migrations.
    public let database: (any DatabaseWriter)?
    /// The W3C trace context of the event being handled, carried on to what it causes.
    public let traceparent: String?
    let eventID: String?
    let reply = ReplyRecord()
    let publish: @Sendable ([Instruction], [Data], String?) -> Void

    /// A context for one event (tests build it directly).
    public init(logger: Logger, instance: String, database: (any DatabaseWriter)?, eventID: String?,
                traceparent: String? = nil,
                publish: @escaping @Sendable ([Instruction], [Data], String?) -> Void = { _, _, _ in })
    {
        self.logger = logger
        self.instance = instance
        self.database = database
        self.eventID = eventID
        self.traceparent = traceparent
        self.publish = publish
    }

    /// Adds a binary attachment to this event's reply; returns the placeholder to put in an
    /// instruction's arguments (`{"_placeholder":true,"num":N}`).
    public func attach(_ data: Data) -> JSON {
        let number = reply.attach(data)
        return ["_placeholder": true, "num": .int(Int64(number))]
    }

    /// Runs `body` in one write transaction that also stores the event's reply, so that the
    /// work and the memory of having done it commit together: a repeated event is then
    /// answered from the store and never does the work twice. The instructions `body`
    /// returns are the event's reply (with the attachments made so far): the handler returns
    /// them; if it returns something else or throws afterwards, the stored reply still wins.
    /// A request to another service that is part of the work goes in with ``Outbox/enqueue(_:service:event:args:traceparent:)``
    /// inside `body`: it commits with the work and is sent once the transaction committed.
    public func write(_ body: @escaping @Sendable (Database) throws -> [Instruction]) async throws -> [Instruction] {
        guard let database else { throw Failure.noDatabase }
        let eventID = self.eventID
        let attachments = reply.attachments
        let (instructions, stored) = try await database.write { db -> ([Instruction], StoredReply?) in
            let instructions = try body(db)
            // Without an event id (a life fact, a timer) there is no reply to remember.
            guard let eventID else { return (instructions, nil) }
            let stored = StoredReply(body: try JSONCoding.encode(instructions), error: nil, attachments: attachments)
            try SQLiteDedupStore.record(stored, for: eventID, in: db)
            return (instructions, stored)
        }
        if let stored { reply.stored(stored) }
        return instructions
    }

    /// Runs `body` in a read transaction of the service's database (checks that need no write
    /// and no dedup record: a repeat may simply read again).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard let database else { throw Failure.noDatabase }
        return try await database.read(body)
    }

    /// Sends instructions now, outside any reply (`type: emit` on topic `edge`), with the
    /// binary attachments their placeholders number.
    public func emit(_ instructions: [Instruction], attachments: [Data] = []) {
        publish(instructions, attachments, traceparent)
    }
}

/// What one event's reply has gathered: attachments, and the reply ``Context/write(_:)`` stored.
final class ReplyRecord: Sendable {
    private struct State {
        var attachments: [Data] = []
        var stored: StoredReply?
    }

    private let state = Mutex(State())

    func attach(_ data: Data) -> Int {
        state.withLock { state in
            state.attachments.append(data)
            return state.attachments.count - 1
        }
    }

    var attachments: [Data] { state.withLock { $0.attachments } }

    func stored(_ reply: StoredReply) { state.withLock { $0.stored = reply } }

    var storedReply: StoredReply? { state.withLock { $0.stored } }
}

/// A service: its name, its handlers, the life facts it wants and its database.
public struct ServiceDefinition: Sendable {
    /// Service name: topic `svc.<name>`, file `<name>.sqlite`.
    public var name: String
    /// Handlers by `(namespace, event)`, announced in hello.
    public private(set) var handlers: [Route: Handler] = [:]
    /// Life facts wanted, with their handler.
    public private(set) var lifeHandlers: [LifeFactKind: Handler] = [:]
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

    /// Handles `event` on namespace `ns`.
    public mutating func on(_ ns: String, _ event: String, _ handler: @escaping Handler) {
        handlers[Route(ns: ns, event: event)] = handler
    }

    /// Handles life facts of `kind`; the event's `args` hold the fact object.
    public mutating func onLife(_ kind: LifeFactKind, _ handler: @escaping Handler) {
        lifeHandlers[kind] = handler
    }

    /// Handles an instance of `service` going silent; its instructions go out as an `emit`.
    public mutating func onGone(_ service: String, _ handler: @escaping Handler) {
        goneHandlers[service] = handler
    }

    /// Runs `task` from readiness until shutdown (e.g. a timer loop that emits).
    public mutating func background(_ task: @escaping @Sendable (ServiceControl) async -> Void) {
        backgroundTasks.append(task)
    }

    /// The routes to announce, sorted for a stable hello.
    var routes: [Route] {
        handlers.keys.sorted { ($0.ns, $0.event) < ($1.ns, $1.event) }
    }
}
