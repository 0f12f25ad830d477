import Contracts
import GRDB

/// A stored Zizany message, as `message:new` and the history route send it.
struct ZizanyMessage: Equatable {
    var id: Int64
    var channelID: Int64
    var userID: Int64
    var username: String
    var content: String
    var createdAt: Int64
    var updatedAt: Int64

    /// The seed's `message:new` object: `id, channel_id, content, created_at, updated_at, user {id, username}`.
    var json: JSON {
        ["id": .int(id), "channel_id": .int(channelID), "content": .string(content),
         "created_at": .string(Timestamp.iso8601(createdAt)), "updated_at": .string(Timestamp.iso8601(updatedAt)),
         "user": ["id": .int(userID), "username": .string(username)]]
    }
}

extension ChatStore {
    /// Whether server `id` exists.
    static func serverExists(_ db: Database, id: Int64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM zizany_server WHERE id = ?)", arguments: [id]) ?? false
    }

    /// Whether `user` is a member of the server of channel `id`; `nil` when the channel does not
    /// exist. One statement (the channel's row, and the membership by its primary key): as two,
    /// they cost every message a second statement step (~2% of the chat service's CPU).
    static func channelAccess(_ db: Database, id: Int64, user: Int64) throws -> Bool? {
        let statement = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM zizany_membership WHERE server_id = zizany_channel.server_id AND user_id = ?)
            FROM zizany_channel WHERE id = ?
            """)
        return try Bool.fetchOne(statement, arguments: [user, id])
    }

    /// The channel ids of server `id`.
    static func channels(_ db: Database, server id: Int64) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT id FROM zizany_channel WHERE server_id = ? ORDER BY id", arguments: [id])
    }

    /// Whether `user` is a member of `server`.
    static func isMember(_ db: Database, server: Int64, user: Int64) throws -> Bool {
        let statement = try db.cachedStatement(
            sql: "SELECT EXISTS (SELECT 1 FROM zizany_membership WHERE server_id = ? AND user_id = ?)")
        return try Bool.fetchOne(statement, arguments: [server, user]) ?? false
    }

    /// Adds a membership; `true` when it is new.
    static func addMember(_ db: Database, server: Int64, user: Int64) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO zizany_membership (server_id, user_id) VALUES (?, ?)",
                       arguments: [server, user])
        return db.changesCount > 0
    }

    /// Removes a membership; `true` when there was one.
    static func removeMember(_ db: Database, server: Int64, user: Int64) throws -> Bool {
        try db.execute(sql: "DELETE FROM zizany_membership WHERE server_id = ? AND user_id = ?", arguments: [server, user])
        return db.changesCount > 0
    }

    /// Stores a message and returns it with its id.
    static func insertMessage(_ db: Database, channel: Int64, user: Int64, username: String, content: String,
                              at time: Int64) throws -> ZizanyMessage {
        try db.cachedStatement(sql: """
            INSERT INTO zizany_message (channel_id, user_id, username, content, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [channel, user, username, content, time, time])
        return ZizanyMessage(id: db.lastInsertedRowID, channelID: channel, userID: user, username: username,
                             content: content, createdAt: time, updatedAt: time)
    }

    /// Up to `limit` messages of `channel` with an id below `before` (all when `nil`): the
    /// newest ones, returned oldest first.
    static func messages(_ db: Database, channel: Int64, before: Int64?, limit: Int) throws -> [ZizanyMessage] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, channel_id, user_id, username, content, created_at, updated_at FROM zizany_message
            WHERE channel_id = ? AND id < ? ORDER BY id DESC LIMIT ?
            """, arguments: [channel, before ?? Int64.max, limit])
        return rows.reversed().map { row in
            ZizanyMessage(id: row["id"], channelID: row["channel_id"], userID: row["user_id"], username: row["username"],
                          content: row["content"], createdAt: row["created_at"], updatedAt: row["updated_at"])
        }
    }
}
