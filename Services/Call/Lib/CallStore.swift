import Foundation
import GRDB

/// The call service's tables in `data/call.sqlite`: `users`, `telecallers`, `calls` (every field
/// of ``Call``, deadlines and owning sids included, so a restart finds them) and
/// `telecaller_unavailable` (the telecallers set unavailable).
public enum CallStore {
    /// The migrations, for ``ServiceDefinition/migrations``.
    public static func migrate(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("call.1 users telecallers calls") { db in
            try db.create(table: "users") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("profile", .text)
                table.column("status", .text).notNull()
                table.column("coins", .integer).notNull()
            }
            try db.create(table: "telecallers") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("profile", .text)
                table.column("language", .text).notNull()
                table.column("about", .text).notNull()
                table.column("approved", .boolean).notNull()
                table.column("rate_per_minute", .integer).notNull()
                table.column("status", .text).notNull()
            }
            try db.create(table: "calls") { table in
                table.primaryKey("id", .text)
                table.column("user_id", .text).notNull().indexed()
                table.column("telecaller_id", .text).notNull().indexed()
                table.column("call_type", .text).notNull()
                table.column("rate_per_minute", .integer).notNull()
                table.column("status", .text).notNull().indexed()
                table.column("initiated_at", .integer).notNull()
                table.column("ring_deadline", .integer).notNull()
                table.column("accepted_at", .integer)
                table.column("ended_at", .integer)
                table.column("user_sid", .text).notNull()
                table.column("telecaller_sid", .text)
                table.column("duration_seconds", .integer)
                table.column("coins", .integer)
                table.column("end_reason", .text)
            }
        }
        migrator.registerMigration("call.2 telecaller_unavailable") { db in
            try db.create(table: "telecaller_unavailable") { table in
                table.primaryKey("telecaller_id", .text)
            }
        }
    }

    /// Why stored data could not be read.
    struct Corrupt: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: Reading

    /// Every user.
    static func users(_ db: Database) throws -> [UserAccount] {
        try Row.fetchAll(db, sql: "SELECT id, name, profile, status, coins FROM users").map { row in
            UserAccount(id: row["id"], name: row["name"], profile: row["profile"],
                        status: AccountStatus(rawValue: row["status"]) ?? .blocked, coinBalance: row["coins"])
        }
    }

    /// Every telecaller.
    static func telecallers(_ db: Database) throws -> [Telecaller] {
        try Row.fetchAll(db, sql: """
            SELECT id, name, profile, language, about, approved, rate_per_minute, status FROM telecallers
            """).map { row in
            Telecaller(id: row["id"], name: row["name"], profile: row["profile"], language: row["language"],
                       about: row["about"], approved: row["approved"], ratePerMinute: row["rate_per_minute"],
                       status: AccountStatus(rawValue: row["status"]) ?? .blocked)
        }
    }

    /// The telecallers set unavailable.
    static func unavailableTelecallers(_ db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT telecaller_id FROM telecaller_unavailable"))
    }

    /// The live calls and the final ones that ended after `endedSince` (ms since the epoch).
    static func calls(_ db: Database, endedSince: Int64) throws -> [Call] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM calls WHERE status IN ('RINGING', 'ACCEPTED') OR ended_at >= ?
            """, arguments: [endedSince]).map(call(from:))
    }

    /// One call by id (tests and tools).
    static func call(_ db: Database, id: String) throws -> Call? {
        try Row.fetchOne(db, sql: "SELECT * FROM calls WHERE id = ?", arguments: [id]).map(call(from:))
    }

    private static func call(from row: Row) throws -> Call {
        let typeText: String = row["call_type"]
        let statusText: String = row["status"]
        guard let callType = CallType(rawValue: typeText), let status = CallStatus(rawValue: statusText) else {
            throw Corrupt(description: "call \(row["id"] as String? ?? "?"): type \(typeText), status \(statusText)")
        }
        return Call(id: row["id"], userId: row["user_id"], telecallerId: row["telecaller_id"], callType: callType,
                    ratePerMinute: row["rate_per_minute"], status: status, initiatedAt: row["initiated_at"],
                    ringDeadline: row["ring_deadline"], acceptedAt: row["accepted_at"], endedAt: row["ended_at"],
                    userSid: row["user_sid"], telecallerSid: row["telecaller_sid"],
                    durationSeconds: row["duration_seconds"], coins: row["coins"],
                    endReason: (row["end_reason"] as String?).flatMap(CallEndReason.init(rawValue:)))
    }

    // MARK: Writing

    /// Applies the book's effects that touch the database: `.store` upserts the call, `.debit`
    /// lowers the user's balance (never below zero), `.availability` adds or removes the
    /// telecaller's row of `telecaller_unavailable`. `.deleteRoom` is not a database effect.
    static func apply(_ effects: [CallEffect], in db: Database) throws {
        for effect in effects {
            switch effect {
            case .store(let call): try upsert(call, in: db)
            case .debit(let userId, let coins):
                try db.execute(sql: "UPDATE users SET coins = MAX(0, coins - ?) WHERE id = ?", arguments: [coins, userId])
            case .availability(let id, available: true):
                try db.execute(sql: "DELETE FROM telecaller_unavailable WHERE telecaller_id = ?", arguments: [id])
            case .availability(let id, available: false):
                try db.execute(sql: "INSERT OR IGNORE INTO telecaller_unavailable (telecaller_id) VALUES (?)",
                               arguments: [id])
            case .deleteRoom: break
            }
        }
    }

    /// Inserts or replaces `call`.
    static func upsert(_ call: Call, in db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO calls (id, user_id, telecaller_id, call_type, rate_per_minute, status,
                initiated_at, ring_deadline, accepted_at, ended_at, user_sid, telecaller_sid, duration_seconds,
                coins, end_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [call.id, call.userId, call.telecallerId, call.callType.rawValue, call.ratePerMinute,
                             call.status.rawValue, call.initiatedAt, call.ringDeadline, call.acceptedAt, call.endedAt,
                             call.userSid, call.telecallerSid, call.durationSeconds, call.coins,
                             call.endReason?.rawValue])
    }

    /// Inserts or replaces `user`.
    static func upsert(_ user: UserAccount, in db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO users (id, name, profile, status, coins) VALUES (?, ?, ?, ?, ?)",
                       arguments: [user.id, user.name, user.profile, user.status.rawValue, user.coinBalance])
    }

    /// Inserts or replaces `telecaller`.
    static func upsert(_ telecaller: Telecaller, in db: Database) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO telecallers (id, name, profile, language, about, approved, rate_per_minute, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [telecaller.id, telecaller.name, telecaller.profile, telecaller.language, telecaller.about,
                             telecaller.approved, telecaller.ratePerMinute, telecaller.status.rawValue])
    }
}
