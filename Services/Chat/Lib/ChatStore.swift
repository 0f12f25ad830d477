import Contracts
import Foundation
import GRDB

/// The SQLite side of the chat service (`<SWITCHBOARD_DATA>/chat.sqlite`): the migrations and
/// the queries shared by the contracts. Every query runs inside the caller's transaction. The
/// statements of every message sent (channel with membership, name, insert) are prepared once
/// per connection (`cachedStatement`): preparing them again cost ~5% of the service's CPU.
public enum ChatStore {
    /// Migrations `chat.1` (accounts, Zizany servers, channels, memberships, messages) and
    /// `chat.2` (Chatto rooms, messages and who is in which room).
    public static func migrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("chat.1 zizany") { db in
            try db.create(table: "chat_user") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
            }
            try db.create(table: "zizany_server") { table in
                table.primaryKey("id", .integer)
                table.column("name", .text).notNull()
            }
            try db.create(table: "zizany_channel") { table in
                table.primaryKey("id", .integer)
                table.column("server_id", .integer).notNull().indexed()
                table.column("name", .text).notNull()
            }
            try db.create(table: "zizany_membership") { table in
                table.column("server_id", .integer).notNull()
                table.column("user_id", .integer).notNull()
                table.primaryKey(["server_id", "user_id"])
            }
            try db.create(table: "zizany_message") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("channel_id", .integer).notNull()
                table.column("user_id", .integer).notNull()
                table.column("username", .text).notNull()
                table.column("content", .text).notNull()
                table.column("created_at", .integer).notNull()
                table.column("updated_at", .integer).notNull()
            }
            try db.create(index: "zizany_message_history", on: "zizany_message", columns: ["channel_id", "id"])
        }
        migrator.registerMigration("chat.2 chatto") { db in
            try db.create(table: "chatto_room") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("created_at", .integer).notNull()
            }
            try db.create(table: "chatto_message") { table in
                table.primaryKey("id", .text)
                table.column("room_id", .text).notNull()
                table.column("user", .text).notNull()
                table.column("text", .text).notNull()
                table.column("created_at", .integer).notNull()
            }
            // With the implicit rowid (the order of insertion) this index serves a room's history.
            try db.create(index: "chatto_message_history", on: "chatto_message", columns: ["room_id"])
            try db.create(table: "chatto_presence") { table in
                table.column("edge", .text).notNull()
                table.column("sid", .text).notNull()
                table.column("ns", .text).notNull()
                table.column("room_id", .text).notNull()
                table.column("user", .text).notNull()
                table.primaryKey(["edge", "sid", "room_id"])
            }
        }
    }

    /// The display name of user `id`, when seeded.
    static func userName(_ db: Database, id: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM chat_user WHERE id = ?"), arguments: [id])
    }

    /// Inserts or replaces user `id` with `name`.
    static func upsertUser(_ db: Database, id: String, name: String) throws {
        try db.execute(sql: "INSERT INTO chat_user (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                       arguments: [id, name])
    }
}
