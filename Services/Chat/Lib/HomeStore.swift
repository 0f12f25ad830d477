import Contracts
import Foundation
import GRDB

/// The SQLite side of HomeAssistant's conversations (migration `chat.home.1`): which
/// conversations exist (by room id, `1:2`), their messages, and each member's unread count.
/// Every query runs inside the caller's transaction.
enum HomeStore {
    /// One stored message.
    struct Message: Equatable {
        var id: Int64
        var room: String
        var sender: String
        var senderName: String
        var text: String
        var createdAt: Int64
    }

    /// Migration `chat.home.1 conversations`.
    static func migrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("chat.home.1 conversations") { db in
            try db.create(table: "home_conversation") { table in
                table.primaryKey("room_id", .text)
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "home_message") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("room_id", .text).notNull().indexed()
                table.column("sender", .text).notNull()
                table.column("sender_name", .text).notNull()
                table.column("text", .text).notNull()
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "home_unread") { table in
                table.column("room_id", .text).notNull()
                table.column("user_id", .text).notNull()
                table.column("count", .integer).notNull()
                table.primaryKey(["room_id", "user_id"])
            }
        }
    }

    /// `true` when the conversation `room` exists.
    static func exists(_ db: Database, _ room: HomeRoomID) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM home_conversation WHERE room_id = ?", arguments: [room.id]) ?? false
    }

    /// Creates the conversation `room` at `time` unless it exists; `true` when it was created.
    @discardableResult
    static func create(_ db: Database, _ room: HomeRoomID, at time: Int64) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO home_conversation (room_id, created_at) VALUES (?, ?)",
                       arguments: [room.id, time])
        return db.changesCount > 0
    }

    /// Renames conversation `old` to `new` with its messages and unread counts; the unread
    /// counts of users who are not members of `new` are dropped.
    static func rename(_ db: Database, from old: HomeRoomID, to new: HomeRoomID) throws {
        try db.execute(sql: "UPDATE home_conversation SET room_id = ? WHERE room_id = ?", arguments: [new.id, old.id])
        try db.execute(sql: "UPDATE home_message SET room_id = ? WHERE room_id = ?", arguments: [new.id, old.id])
        try db.execute(sql: "UPDATE home_unread SET room_id = ? WHERE room_id = ?", arguments: [new.id, old.id])
        let members = new.members
        try db.execute(sql: "DELETE FROM home_unread WHERE room_id = ? AND user_id NOT IN (\(members.map { _ in "?" }.joined(separator: ",")))",
                       arguments: StatementArguments([new.id] + members))
    }

    /// Deletes conversation `room`, its messages and unread counts.
    static func delete(_ db: Database, _ room: HomeRoomID) throws {
        for table in ["home_conversation", "home_message", "home_unread"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE room_id = ?", arguments: [room.id])
        }
    }

    /// Stores a message and adds one to the unread count of every member but the sender;
    /// returns the new counts by recipient.
    static func insertMessage(_ db: Database, room: HomeRoomID, sender: String, senderName: String, text: String,
                              at time: Int64) throws -> [String: Int64]
    {
        try db.execute(sql: """
            INSERT INTO home_message (room_id, sender, sender_name, text, created_at) VALUES (?, ?, ?, ?, ?)
            """, arguments: [room.id, sender, senderName, text, time])
        var unread: [String: Int64] = [:]
        for recipient in room.members where recipient != sender {
            unread[recipient] = try Int64.fetchOne(db, sql: """
                INSERT INTO home_unread (room_id, user_id, count) VALUES (?, ?, 1)
                ON CONFLICT(room_id, user_id) DO UPDATE SET count = count + 1 RETURNING count
                """, arguments: [room.id, recipient]) ?? 1
        }
        return unread
    }

    /// Sets `user`'s unread count in `room` back to zero (the user opened the conversation).
    static func markRead(_ db: Database, room: HomeRoomID, user: String) throws {
        try db.execute(sql: "DELETE FROM home_unread WHERE room_id = ? AND user_id = ?", arguments: [room.id, user])
    }

    /// `user`'s unread count in `room`.
    static func unread(_ db: Database, room: HomeRoomID, user: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT count FROM home_unread WHERE room_id = ? AND user_id = ?",
                           arguments: [room.id, user]) ?? 0
    }

    /// The messages of `room`, oldest first.
    static func messages(_ db: Database, room: HomeRoomID) throws -> [Message] {
        try Row.fetchAll(db, sql: """
            SELECT id, room_id, sender, sender_name, text, created_at FROM home_message WHERE room_id = ? ORDER BY id
            """, arguments: [room.id]).map { row in
            Message(id: row["id"], room: row["room_id"], sender: row["sender"], senderName: row["sender_name"],
                    text: row["text"], createdAt: row["created_at"])
        }
    }

}
