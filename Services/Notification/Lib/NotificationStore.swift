import Contracts
import Foundation
import GRDB

/// One event a notification sends to its recipient's `user:{id}` room (or, on replay, to the
/// joining socket): its name and arguments.
public struct Delivery: Codable, Sendable, Equatable {
    /// Event name the client receives, e.g. `privateCommentNotify`.
    public var event: String
    /// The event's arguments.
    public var args: [JSON]

    /// A delivery of `event` with `args`.
    public init(event: String, args: [JSON]) {
        self.event = event
        self.args = args
    }
}

/// A stored notification (table `notification` of `data/notification.sqlite`).
public struct StoredNotification: Sendable, Equatable {
    /// The id the service assigned.
    public var id: Int64
    /// Namespace of the recipient's sockets.
    public var ns: String
    /// The recipient's user id.
    public var recipient: String
    /// The sender's user id, when known.
    public var sender: String?
    /// The event that created it (`commentNotification`, `kickUserFromGroupNotify`, …).
    public var kind: String
    /// What the recipient receives.
    public var deliveries: [Delivery]
    /// Milliseconds since the epoch.
    public var createdAt: Int64
    /// When it reached a socket of the recipient; `nil` while in the backlog.
    public var deliveredAt: Int64?
    /// When the recipient marked it read.
    public var readAt: Int64?
}

/// The SQLite side: the migration and the queries, each inside the caller's transaction.
public enum NotificationStore {
    /// `notification.1`: the notifications with their deliveries and delivery/read state.
    public static func migrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("notification.1 notification") { db in
            try db.create(table: "notification") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("ns", .text).notNull()
                table.column("recipient", .text).notNull()
                table.column("sender", .text)
                table.column("kind", .text).notNull()
                table.column("deliveries", .blob).notNull()
                table.column("created_at", .integer).notNull()
                table.column("delivered_at", .integer)
                table.column("read_at", .integer)
            }
            try db.create(index: "notification_backlog", on: "notification",
                          columns: ["ns", "recipient", "delivered_at", "id"])
        }
    }

    /// Reserves the next id: inserts a row without deliveries yet (``finish``
    /// completes it in the same transaction once the payload carries the id).
    static func reserve(_ db: Database, ns: String, recipient: String, sender: String?, kind: String,
                        createdAt: Int64) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO notification (ns, recipient, sender, kind, deliveries, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [ns, recipient, sender, kind, Data("[]".utf8), createdAt])
        return db.lastInsertedRowID
    }

    /// Stores the deliveries of notification `id`, delivered at `deliveredAt` or kept in the backlog.
    static func finish(_ db: Database, id: Int64, deliveries: [Delivery], deliveredAt: Int64?) throws {
        try db.execute(sql: "UPDATE notification SET deliveries = ?, delivered_at = ? WHERE id = ?",
                       arguments: [try JSONCoding.encode(deliveries), deliveredAt, id])
    }

    /// Takes the backlog of `recipient` in `ns` (oldest first) and marks it delivered at `now`.
    static func takeBacklog(_ db: Database, ns: String, recipient: String, now: Int64) throws -> [StoredNotification] {
        let backlog = try fetch(db, where: "ns = ? AND recipient = ? AND delivered_at IS NULL ORDER BY id",
                                arguments: [ns, recipient])
        if !backlog.isEmpty {
            try db.execute(sql: "UPDATE notification SET delivered_at = ? WHERE ns = ? AND recipient = ? AND delivered_at IS NULL",
                           arguments: [now, ns, recipient])
        }
        return backlog
    }

    /// The notification `id`.
    public static func notification(_ db: Database, id: Int64) throws -> StoredNotification? {
        try fetch(db, where: "id = ?", arguments: [id]).first
    }

    /// Every notification, oldest first (tests, inspection).
    public static func all(_ db: Database) throws -> [StoredNotification] {
        try fetch(db, where: "1 ORDER BY id", arguments: [])
    }

    /// Marks `id` read (and delivered: a read notification is not replayed).
    static func markRead(_ db: Database, id: Int64, now: Int64) throws {
        try db.execute(sql: """
            UPDATE notification SET read_at = COALESCE(read_at, ?), delivered_at = COALESCE(delivered_at, ?) WHERE id = ?
            """, arguments: [now, now, id])
    }

    private static func fetch(_ db: Database, where clause: String, arguments: StatementArguments) throws
        -> [StoredNotification]
    {
        try Row.fetchAll(db, sql: "SELECT * FROM notification WHERE \(clause)", arguments: arguments).map { row in
            StoredNotification(id: row["id"], ns: row["ns"], recipient: row["recipient"], sender: row["sender"],
                               kind: row["kind"],
                               deliveries: try JSONCoding.decode([Delivery].self, from: row["deliveries"]),
                               createdAt: row["created_at"], deliveredAt: row["delivered_at"], readAt: row["read_at"])
        }
    }
}
