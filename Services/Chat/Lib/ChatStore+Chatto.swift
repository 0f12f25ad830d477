import Contracts
import Foundation
import GRDB

/// A Chatto room (`_id`, `name`, `createdAt`).
struct ChattoRoom: Equatable {
    var id: String
    var name: String
    var createdAt: Int64

    /// `room created`'s object.
    var json: JSON { ["_id": .string(id), "name": .string(name), "createdAt": .string(Timestamp.iso8601(createdAt))] }
}

/// A stored Chatto message.
struct ChattoMessage: Equatable {
    var id: String
    var room: String
    var user: String
    var text: String
    var createdAt: Int64

    /// The seed's message object: `_id, room, user, text, timestamp`.
    var json: JSON {
        ["_id": .string(id), "room": .string(room), "user": .string(user), "text": .string(text),
         "timestamp": .string(Timestamp.iso8601(createdAt))]
    }
}

/// A socket that joined a Chatto room, with the name it joined as.
struct ChattoPresence: Equatable {
    var ns: String
    var room: String
    var user: String
}

extension ChatStore {
    /// A new id in MongoDB's ObjectId form (24 hex digits: seconds since the epoch, then random).
    static func objectID(at milliseconds: Int64) -> String {
        let seconds = String(format: "%08x", UInt32(truncatingIfNeeded: milliseconds / 1000))
        let random = (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return seconds + random
    }

    /// The room `id`, when it exists.
    static func chattoRoom(_ db: Database, id: String) throws -> ChattoRoom? {
        try Row.fetchOne(db, sql: "SELECT * FROM chatto_room WHERE id = ?", arguments: [id])
            .map { ChattoRoom(id: $0["id"], name: $0["name"], createdAt: $0["created_at"]) }
    }

    /// Inserts or replaces a room.
    static func upsertChattoRoom(_ db: Database, _ room: ChattoRoom) throws {
        try db.execute(sql: """
            INSERT INTO chatto_room (id, name, created_at) VALUES (?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, created_at = excluded.created_at
            """, arguments: [room.id, room.name, room.createdAt])
    }

    /// Stores a message of `user` in `room` with a new id.
    static func insertChattoMessage(_ db: Database, room: String, user: String, text: String,
                                    at time: Int64) throws -> ChattoMessage {
        let message = ChattoMessage(id: objectID(at: time), room: room, user: user, text: text, createdAt: time)
        try db.execute(sql: "INSERT INTO chatto_message (id, room_id, user, text, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [message.id, room, user, text, time])
        return message
    }

    /// The newest `limit` messages of `room`, oldest first.
    static func chattoHistory(_ db: Database, room: String, limit: Int) throws -> [ChattoMessage] {
        try Row.fetchAll(db, sql: "SELECT * FROM chatto_message WHERE room_id = ? ORDER BY rowid DESC LIMIT ?",
                         arguments: [room, limit])
            .reversed()
            .map { ChattoMessage(id: $0["id"], room: $0["room_id"], user: $0["user"], text: $0["text"],
                                 createdAt: $0["created_at"]) }
    }

    /// Records that socket `sid` of `edge` is in `room` as `user`; `false` when it already was.
    static func enterChattoRoom(_ db: Database, edge: String, sid: String, ns: String, room: String,
                                user: String) throws -> Bool {
        let known = try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM chatto_presence WHERE edge = ? AND sid = ? AND room_id = ?)
            """, arguments: [edge, sid, room]) ?? false
        try db.execute(sql: "INSERT OR REPLACE INTO chatto_presence (edge, sid, ns, room_id, user) VALUES (?, ?, ?, ?, ?)",
                       arguments: [edge, sid, ns, room, user])
        return !known
    }

    /// The name socket `sid` of `edge` joined `room` as, when it is in the room.
    static func chattoPresence(_ db: Database, edge: String, sid: String, room: String) throws -> ChattoPresence? {
        try Row.fetchOne(db, sql: "SELECT * FROM chatto_presence WHERE edge = ? AND sid = ? AND room_id = ?",
                         arguments: [edge, sid, room])
            .map { ChattoPresence(ns: $0["ns"], room: $0["room_id"], user: $0["user"]) }
    }

    /// Forgets the rooms of socket `sid` of `edge` (every room when `room` is `nil`) and returns them.
    static func leaveChattoRooms(_ db: Database, edge: String, sid: String?, room: String? = nil) throws
        -> [ChattoPresence]
    {
        var clauses = ["edge = ?"]
        var arguments: [any DatabaseValueConvertible] = [edge]
        if let sid { clauses.append("sid = ?"); arguments.append(sid) }
        if let room { clauses.append("room_id = ?"); arguments.append(room) }
        let condition = clauses.joined(separator: " AND ")
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM chatto_presence WHERE \(condition) ORDER BY room_id",
                                    arguments: StatementArguments(arguments))
        try db.execute(sql: "DELETE FROM chatto_presence WHERE \(condition)", arguments: StatementArguments(arguments))
        return rows.map { ChattoPresence(ns: $0["ns"], room: $0["room_id"], user: $0["user"]) }
    }
}
