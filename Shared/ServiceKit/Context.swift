import Bus
import Contracts
import Foundation
import GRDB
import Logging
import Synchronization

/// What a handler may use besides its event: the database, a logger, and a way to emit.
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
    let eventID: String?
    let recorded = RecordedFlag()
    let publish: @Sendable ([Instruction]) -> Void

    /// A context for one event (tests build it directly).
    public init(logger: Logger, instance: String, database: (any DatabaseWriter)?, eventID: String?,
                publish: @escaping @Sendable ([Instruction]) -> Void = { _ in })
    {
        self.logger = logger
        self.instance = instance
        self.database = database
        self.eventID = eventID
        self.publish = publish
    }

    /// Runs `body` in one write transaction that also stores the event's reply, so that the
    /// work and the memory of having done it commit together: a repeated event is then
    /// answered from the store and never does the work twice.
    public func write(_ body: @escaping @Sendable (Database) throws -> [Instruction]) async throws -> [Instruction] {
        guard let database else { throw Failure.noDatabase }
        let eventID = self.eventID
        let instructions = try await database.write { db -> [Instruction] in
            let instructions = try body(db)
            if let eventID {
                try SQLiteDedupStore.record(StoredReply(body: try JSONCoding.encode(instructions), error: nil),
                                            for: eventID, in: db)
            }
            return instructions
        }
        if eventID != nil { recorded.set() }
        return instructions
    }

    /// Sends instructions now, outside any reply (`type: emit` on topic `edge`).
    public func emit(_ instructions: [Instruction]) {
        publish(instructions)
    }
}

/// Whether ``Context/write(_:)`` already stored the event's reply.
final class RecordedFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
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

    /// The routes to announce, sorted for a stable hello.
    var routes: [Route] {
        handlers.keys.sorted { ($0.ns, $0.event) < ($1.ns, $1.event) }
    }
}
