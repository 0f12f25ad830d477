import Bus
import Contracts
import Foundation
import GRDB

/// Durable requests to other services: a handler that must ask another service as part of its
/// work (chat asking notification to store a group notification) enqueues the request in the
/// same transaction as its work, and the runtime sends it once that transaction commits.
///
/// ```swift
/// definition.on("/", "createUserGroup") { event, context in
///     try await context.write { db in
///         try store.createGroup(db, …)
///         try Outbox.enqueue(db, service: "notification", event: "createUserToGroupNotify",
///                            args: [["notifications": notifications]], traceparent: context.traceparent)
///         return event.acknowledge([["success": true]])
///     }
/// }
/// ```
///
/// The request, the work and the event's dedup record commit together or not at all: a
/// rolled-back transaction sends nothing, a committed one is sent even if the process crashes
/// right after the commit (an earlier run's rows are sent when the service starts again).
///
/// Each row gets its bus message id when it is enqueued, so every copy of the request (a
/// retry, a re-publish for a new instance, a re-send after a restart) carries the same id and
/// the receiver's dedup store answers a repeat without doing the work twice. The sending is
/// ``OutboxDrainer``'s (docs/bus-protocol.md, "Requests between services"): requests go out
/// oldest first on namespace `""` with `ack: true`; a row is deleted when its reply arrives.
public enum Outbox {
    /// The table, created by ServiceKit's migration `servicekit.2 bus_outbox` in every service
    /// database.
    public static let table = "bus_outbox"

    /// Enqueues the request `event` with `args` for `service` (namespace `""`), inside the
    /// caller's transaction (call it in ``Context/write(_:)``'s body). `traceparent` (usually
    /// the handled event's ``Context/traceparent``) is carried on to the request. Returns the
    /// request's message id, fixed now for every copy ever sent.
    @discardableResult
    public static func enqueue(_ db: Database, service: String, event: String, args: [JSON],
                               traceparent: String? = nil) throws -> String
    {
        let id = MessageID.make()
        try db.execute(sql: """
            INSERT INTO bus_outbox (id, service, event, args, traceparent, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [id, service, event, try JSONCoding.encode(args), traceparent,
                             Clock.millisecondsSinceEpoch()])
        return id
    }

    /// Requests still waiting for their reply, oldest first.
    public static func pending(_ db: Database) throws -> [OutboxRequest] {
        try pending(db, limit: Int.max)
    }

    /// At most `limit` waiting requests, oldest first.
    static func pending(_ db: Database, limit: Int) throws -> [OutboxRequest] {
        try Row.fetchAll(db, sql: """
            SELECT id, service, event, args, traceparent, created_at FROM bus_outbox ORDER BY seq LIMIT ?
            """, arguments: [limit]).map { row in
            OutboxRequest(id: row["id"], service: row["service"], event: row["event"],
                          args: (try? JSONCoding.decode([JSON].self, from: row["args"] as Data)) ?? [],
                          traceparent: row["traceparent"], createdAt: row["created_at"])
        }
    }

    /// Forgets the requests whose replies arrived.
    static func remove(_ db: Database, ids: [String]) throws {
        for id in ids {
            try db.execute(sql: "DELETE FROM bus_outbox WHERE id = ?", arguments: [id])
        }
    }

    /// ServiceKit's migration of the table (registered by ``ServiceDatabase``).
    static func migrate(_ db: Database) throws {
        try db.create(table: table) { table in
            table.autoIncrementedPrimaryKey("seq")
            table.column("id", .text).notNull().unique()
            table.column("service", .text).notNull()
            table.column("event", .text).notNull()
            table.column("args", .blob).notNull()
            table.column("traceparent", .text)
            table.column("created_at", .integer).notNull()
        }
    }
}

/// One request waiting in the outbox.
public struct OutboxRequest: Sendable, Equatable {
    /// The bus message id of every copy sent.
    public var id: String
    /// The service asked (topic `svc.<service>`).
    public var service: String
    /// The request's event name (namespace `""`).
    public var event: String
    /// The request's arguments.
    public var args: [JSON]
    /// The W3C trace context of the work that enqueued it.
    public var traceparent: String?
    /// Milliseconds since the epoch when it was enqueued: the header's `ts` of every copy.
    public var createdAt: Int64

    /// The request as an event from `instance`, answered on its inbox: the same id, `ts` and
    /// body every time, whichever run of the service sends it.
    func envelope(from instance: String) -> Envelope {
        var header = BusHeader(type: .event, from: instance, id: id, ts: createdAt)
        header.ns = ""
        header.event = event
        header.ack = true
        header.sid = "outbox-\(id)"
        header.traceparent = traceparent
        header.replyTo = Topic.inbox(instance)
        let body = (try? JSONCoding.encode(args)) ?? Data("[]".utf8)
        return Envelope(topic: Topic.service(service), header: header, body: body)
    }
}
