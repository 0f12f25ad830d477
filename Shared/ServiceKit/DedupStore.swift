import Contracts
import Foundation
import GRDB
import Synchronization

/// A reply as it was given, kept so that a repeated event gets the same answer.
public struct StoredReply: Sendable, Equatable {
    /// The reply's body (the JSON list of instructions).
    public var body: Data
    /// The reply's error code, when the handler failed.
    public var error: String?
    /// The reply's binary attachments (frames 3…).
    public var attachments: [Data]
    /// Whether an instruction of the reply reaches beyond the event's socket (bus protocol §12,
    /// "Where a reply goes"), decided from the instructions when the reply was made; `nil` when
    /// only the bytes are known (a reply read back from the database), and then the topic is
    /// chosen by reading them (``Contracts/BusHeader/replyTopic(body:)``). Kept in memory only.
    public var reaches: Bool?

    /// A stored reply with `body`, `error`, `attachments` and, when known, its reach.
    public init(body: Data, error: String?, attachments: [Data] = [], reaches: Bool? = nil) {
        self.body = body
        self.error = error
        self.attachments = attachments
        self.reaches = reaches
    }

    /// An error reply: an empty instruction list, which reaches no one, and the code.
    static func failure(_ code: String) -> StoredReply {
        StoredReply(body: Data("[]".utf8), error: code, reaches: false)
    }
}

/// Remembers the ids of handled events with the reply given.
public protocol DedupStore: Sendable {
    /// The reply given to event `id`, if it was handled.
    func reply(for id: String) async throws -> StoredReply?
    /// Remembers `reply` for event `id`.
    func record(_ reply: StoredReply, for id: String) async throws
    /// The replies given to those of `ids` that were handled, in one look-up.
    func replies(for ids: [String]) async throws -> [String: StoredReply]
}

/// Bounded memory: the newest `capacity` replies, for services without a database.
public final class MemoryDedupStore: DedupStore {
    private struct Storage {
        var replies: [String: StoredReply]
        var order: [String] = []
        var head = 0
    }

    private let capacity: Int
    private let storage: Mutex<Storage>

    /// A store keeping at most `capacity` replies; the oldest is forgotten first. The table is
    /// sized for `capacity` at once: grown on the way, it was rehashed whole at every doubling,
    /// under the lock the handler loop takes for every batch (2.7% of the echo service's CPU in
    /// a profile of echo at 100 clients).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage = Mutex(Storage(replies: Dictionary(minimumCapacity: self.capacity)))
    }

    /// The reply for `id`, if still remembered.
    public func reply(for id: String) -> StoredReply? {
        storage.withLock { $0.replies[id] }
    }

    /// The replies still remembered for those of `ids` that were handled.
    public func replies(for ids: [String]) -> [String: StoredReply] {
        storage.withLock { storage in
            var found: [String: StoredReply] = [:]
            for id in ids { if let reply = storage.replies[id] { found[id] = reply } }
            return found
        }
    }

    /// Remembers each reply of `replies` in order, under one lock.
    public func record(_ replies: [(id: String, reply: StoredReply)]) {
        storage.withLock { storage in
            for (id, reply) in replies { Self.record(reply, for: id, in: &storage, capacity: capacity) }
        }
    }

    /// Remembers `reply`, forgetting the oldest one past the capacity.
    public func record(_ reply: StoredReply, for id: String) {
        storage.withLock { storage in Self.record(reply, for: id, in: &storage, capacity: capacity) }
    }

    private static func record(_ reply: StoredReply, for id: String, in storage: inout Storage, capacity: Int) {
        if storage.replies.updateValue(reply, forKey: id) != nil { return }
        if storage.order.count < capacity {
            storage.order.append(id)
        } else {
            storage.replies[storage.order[storage.head]] = nil
            storage.order[storage.head] = id
            storage.head = (storage.head + 1) % capacity
        }
    }
}

/// The service's own SQLite file (table `bus_handled`), for services that write: the reply is
/// stored in the same transaction as the work when the handler uses ``Context/write(_:)``.
public struct SQLiteDedupStore: DedupStore {
    let writer: any DatabaseWriter

    /// A store in the database of `writer` (migrated by ``ServiceDatabase``).
    public init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// The stored reply for `id`.
    public func reply(for id: String) async throws -> StoredReply? {
        try await replies(for: [id])[id]
    }

    /// The stored replies for those of `ids` that were handled, in one read.
    public func replies(for ids: [String]) async throws -> [String: StoredReply] {
        guard !ids.isEmpty else { return [:] }
        return try await writer.read { db in try Self.replies(for: ids, in: db) }
    }

    /// The stored replies for those of `ids` that were handled, read in `db`.
    static func replies(for ids: [String], in db: Database) throws -> [String: StoredReply] {
        var found: [String: StoredReply] = [:]
        // At most 500 ids a statement, well below SQLite's limit on bound parameters.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(ids.count, start + 500)])
            let marks = chunk.count == 1 ? "?" : "?" + String(repeating: ",?", count: chunk.count - 1)
            let statement = try db.cachedStatement(
                sql: "SELECT id, body, error, attachments FROM bus_handled WHERE id IN (\(marks))")
            for row in try Row.fetchAll(statement, arguments: StatementArguments(chunk)) {
                let frames = (row["attachments"] as Data?).flatMap { try? JSONCoding.decode([Data].self, from: $0) }
                found[row["id"]] = StoredReply(body: row["body"], error: row["error"], attachments: frames ?? [])
            }
        }
        return found
    }

    /// Stores `reply` for `id` in its own transaction.
    public func record(_ reply: StoredReply, for id: String) async throws {
        try await writer.write { db in try Self.record(reply, for: id, in: db) }
    }

    /// Stores `reply` for `id` inside the caller's transaction.
    static func record(_ reply: StoredReply, for id: String, in db: Database) throws {
        let attachments = reply.attachments.isEmpty ? nil : try JSONCoding.encode(reply.attachments)
        let statement = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO bus_handled (id, body, error, attachments, handled_at) VALUES (?, ?, ?, ?, ?)
            """)
        try statement.execute(arguments: [id, reply.body, reply.error, attachments,
                                           Int64(Date().timeIntervalSince1970 * 1000)])
    }

    /// Forgets replies older than `hours`.
    func prune(olderThanHours hours: Int) async throws {
        let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - Int64(hours) * 3_600_000
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM bus_handled WHERE handled_at < ?", arguments: [cutoff])
        }
    }
}
