import Bus
import Contracts
import Foundation
import GRDB
import Logging

/// A write transaction whose body answers with instructions: ``ServiceControl/write(_:)`` (they
/// become a durable emit), ``Context/write(_:)`` (they become the event's reply), or a test's own.
public typealias InstructionsWrite = @Sendable (@escaping @Sendable (Database) throws -> [Instruction]) async throws
    -> [Instruction]

/// What start-up and background work of a service may use: the bus and the database.
public struct ServiceControl: Sendable {
    /// This process's instance id.
    public let instance: String
    /// The service's logger.
    public let logger: Logger
    /// The service's database, when it has one.
    public let database: (any DatabaseWriter)?
    let client: BusClient
    /// The durable emits' publisher, when the service has a database.
    let emits: EmitPublisher?

    /// Runs `body` in a write transaction of the service's database and sends the instructions
    /// it returns as an `emit` on topic `edge` once the transaction committed, durably: they are
    /// stored in the same transaction (table `bus_emits`), so that work committed before a crash
    /// still gets its emit, from the next start (docs/bus-protocol.md §12). What start-up and
    /// background work decide in a transaction (a timer's settlement, a rebuild) goes out this
    /// way. Returns the instructions; throws ``Context/Failure/noDatabase`` without a database.
    @discardableResult
    public func write(_ body: @escaping @Sendable (Database) throws -> [Instruction]) async throws -> [Instruction] {
        guard let database, let emits else { throw Context.Failure.noDatabase }
        let (instructions, emit) = try await database.write { db -> ([Instruction], PendingEmit?) in
            let instructions = try body(db)
            guard !instructions.isEmpty else { return (instructions, nil) }
            let emit = try PendingEmit(instructions, attachments: [], traceparent: nil)
            try EmitOutbox.store([emit], in: db)
            return (instructions, emit)
        }
        if let emit { emits.publish([emit], on: client) }
        return instructions
    }
}
