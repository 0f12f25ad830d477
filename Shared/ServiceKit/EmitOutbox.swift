import Bus
import Contracts
import Foundation
import GRDB

/// Durable emits: instructions decided in a transaction (a timer's settlement, a life fact's
/// consequences, what a handler emits once it wrote) are stored in that transaction, in table
/// `bus_emits`, published once it committed and deleted once published. A row that is still there
/// when the service starts (the process died between the commit and the deletion) is published
/// again then. So an emit is as durable as a reply: it goes out if and only if the work that
/// decided it committed.
///
/// Each row gets its message id and `ts` when it is stored, and every copy ever published
/// carries them (only `from` names the instance that publishes it): an edge that applies an
/// `emit` id once (docs/bus-protocol.md §12, "Durable emits") carries out a repeat after a
/// crash at most once.
///
/// The runtime stores the emits of a batch itself (``Context/emit(_:attachments:)`` after the
/// handler began a write); start-up and background work use ``ServiceControl/write(_:)``.
enum EmitOutbox {
    /// The table, created by ServiceKit's migration `servicekit.3 bus_emits`.
    static let table = "bus_emits"

    /// Stores `emits` in the caller's transaction, in order.
    static func store(_ emits: [PendingEmit], in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO bus_emits (id, body, attachments, traceparent, created_at) VALUES (?, ?, ?, ?, ?)
            """)
        for emit in emits {
            let attachments = emit.attachments.isEmpty ? nil : try JSONCoding.encode(emit.attachments)
            try statement.execute(arguments: [emit.id, emit.body, attachments, emit.traceparent, emit.createdAt])
        }
    }

    /// Every stored emit, oldest first.
    static func pending(_ db: Database) throws -> [PendingEmit] {
        try Row.fetchAll(db, sql: "SELECT id, body, attachments, traceparent, created_at FROM bus_emits ORDER BY seq")
            .map { row in
                let frames = (row["attachments"] as Data?).flatMap { try? JSONCoding.decode([Data].self, from: $0) }
                return PendingEmit(id: row["id"], body: row["body"], attachments: frames ?? [],
                                   traceparent: row["traceparent"], createdAt: row["created_at"])
            }
    }

    /// Forgets the emits that were published.
    static func remove(_ ids: [String], in db: Database) throws {
        let statement = try db.cachedStatement(sql: "DELETE FROM bus_emits WHERE id = ?")
        for id in ids { try statement.execute(arguments: [id]) }
    }

    /// ServiceKit's migration of the table (registered by ``ServiceDatabase``).
    static func migrate(_ db: Database) throws {
        try db.create(table: table) { table in
            table.autoIncrementedPrimaryKey("seq")
            table.column("id", .text).notNull().unique()
            table.column("body", .blob).notNull()
            table.column("attachments", .blob)
            table.column("traceparent", .text)
            table.column("created_at", .integer).notNull()
        }
    }
}

/// One durable emit: an `emit` message whose id, `ts` and body are fixed when it is decided.
struct PendingEmit: Sendable, Equatable {
    /// The message id of every copy published.
    var id: String
    /// The JSON list of instructions.
    var body: Data
    /// The binary attachments their placeholders number.
    var attachments: [Data]
    /// The W3C trace context of the work that decided it.
    var traceparent: String?
    /// Milliseconds since the epoch when it was decided: the header's `ts` of every copy.
    var createdAt: Int64

    /// A new durable emit of `instructions`, with a fresh id and `ts` now.
    init(_ instructions: [Instruction], attachments: [Data], traceparent: String?) throws {
        self.init(id: MessageID.make(), body: try JSONCoding.encode(instructions), attachments: attachments,
                  traceparent: traceparent, createdAt: Clock.millisecondsSinceEpoch())
    }

    /// A durable emit from its stored parts.
    init(id: String, body: Data, attachments: [Data], traceparent: String?, createdAt: Int64) {
        self.id = id
        self.body = body
        self.attachments = attachments
        self.traceparent = traceparent
        self.createdAt = createdAt
    }

    /// The message on topic `edge`, from `instance`: the same id, `ts` and body every time.
    func envelope(from instance: String) -> Envelope {
        var header = BusHeader(type: .emit, from: instance, id: id, ts: createdAt)
        header.traceparent = traceparent
        return Envelope(topic: Topic.edge, header: header, body: body, attachments: attachments)
    }
}
