import Foundation
import GRDB
import ServiceKit
import Testing

/// A fresh folder under the system's temporary directory.
func temporaryDirectory() -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("servicekit-tests-\(UUID().uuidString)")
    return url.path
}

func reply(_ text: String, error: String? = nil) -> StoredReply {
    StoredReply(body: Data(text.utf8), error: error)
}

@Suite("Dedup stores")
struct DedupStoreTests {
    @Test("memory store: remembers what was recorded")
    func memoryRecordsAndReads() {
        let store = MemoryDedupStore(capacity: 10)
        #expect(store.reply(for: "a") == nil)
        store.record(reply("[1]"), for: "a")
        store.record(StoredReply(body: Data("[]".utf8), error: "INTERNAL_ERROR", attachments: [Data([7])]), for: "b")
        #expect(store.reply(for: "a") == reply("[1]"))
        #expect(store.reply(for: "b") == StoredReply(body: Data("[]".utf8), error: "INTERNAL_ERROR", attachments: [Data([7])]))
        #expect(store.reply(for: "c") == nil)
    }

    @Test("memory store: keeps the newest `capacity` replies and forgets the oldest first")
    func memoryCapacity() {
        let store = MemoryDedupStore(capacity: 3)
        for id in ["a", "b", "c", "d"] { store.record(reply("[\"\(id)\"]"), for: id) }
        #expect(store.reply(for: "a") == nil)
        #expect(store.reply(for: "b") == reply(#"["b"]"#))
        #expect(store.reply(for: "c") != nil)
        #expect(store.reply(for: "d") != nil)
        store.record(reply("[]"), for: "e")
        #expect(store.reply(for: "b") == nil)
        #expect(["c", "d", "e"].allSatisfy { store.reply(for: $0) != nil })
        // Over many rounds, exactly the newest three stay.
        for index in 0..<100 { store.record(reply("[\(index)]"), for: "n\(index)") }
        #expect((0..<97).allSatisfy { store.reply(for: "n\($0)") == nil })
        #expect((97..<100).allSatisfy { store.reply(for: "n\($0)") == reply("[\($0)]") })
        #expect(["c", "d", "e"].allSatisfy { store.reply(for: $0) == nil })
    }

    @Test("memory store: recording an id again replaces its reply without taking a second slot")
    func memoryRerecord() {
        let store = MemoryDedupStore(capacity: 2)
        store.record(reply("[1]"), for: "x")
        store.record(reply("[2]"), for: "x")
        store.record(reply("[3]"), for: "y")
        #expect(store.reply(for: "x") == reply("[2]"))
        #expect(store.reply(for: "y") == reply("[3]"))
    }

    @Test("memory store: a capacity below one still remembers the latest reply")
    func memoryTinyCapacity() {
        let store = MemoryDedupStore(capacity: 0)
        store.record(reply("[1]"), for: "a")
        #expect(store.reply(for: "a") == reply("[1]"))
        store.record(reply("[2]"), for: "b")
        #expect(store.reply(for: "a") == nil)
        #expect(store.reply(for: "b") == reply("[2]"))
    }

    @Test("memory store: concurrent recording keeps exactly the capacity")
    func memoryConcurrent() async {
        let store = MemoryDedupStore(capacity: 50)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<100 { store.record(reply("[]"), for: "t\(task)-\(index)") }
                }
            }
        }
        var remembered = 0
        for task in 0..<8 {
            for index in 0..<100 where store.reply(for: "t\(task)-\(index)") != nil { remembered += 1 }
        }
        #expect(remembered == 50)
    }

    @Test("SQLite store: records and reads back, in a database opened with migrations")
    func sqliteRecordsAndReads() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try ServiceDatabase.open(directory: directory, service: "notes") { migrator in
            migrator.registerMigration("notes.1") { db in
                try db.create(table: "notes") { table in
                    table.autoIncrementedPrimaryKey("id")
                    table.column("text", .text).notNull()
                }
            }
        }
        #expect(FileManager.default.fileExists(atPath: "\(directory)/notes.sqlite"))
        let store = SQLiteDedupStore(writer: pool)
        #expect(try await store.reply(for: "e1") == nil)
        try await store.record(reply(#"[{"args":[1],"op":"ack","sid":"s"}]"#), for: "e1")
        try await store.record(reply("[]", error: "BAD_REQUEST"), for: "e2")
        #expect(try await store.reply(for: "e1") == reply(#"[{"args":[1],"op":"ack","sid":"s"}]"#))
        #expect(try await store.reply(for: "e2") == reply("[]", error: "BAD_REQUEST"))
        #expect(try await store.reply(for: "e3") == nil)
        // Attachments are kept byte for byte, in order.
        let frames = [Data((0...255).map { UInt8($0) }), Data(), Data([0])]
        try await store.record(StoredReply(body: Data("[]".utf8), error: nil, attachments: frames), for: "e4")
        #expect(try await store.reply(for: "e4")?.attachments == frames)
        #expect(try await store.reply(for: "e1")?.attachments == [])
        // Recording again replaces.
        try await store.record(reply("[2]"), for: "e1")
        #expect(try await store.reply(for: "e1") == reply("[2]"))
        // Both the service's migration and ServiceKit's ran.
        let tables = try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(tables.contains("notes"))
        #expect(tables.contains("bus_handled"))
        let rows = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_handled") }
        #expect(rows == 3)
    }

    @Test("SQLite store: replies survive reopening the file; migrations run once")
    func sqliteReopen() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let migrations: @Sendable (inout DatabaseMigrator) -> Void = { migrator in
            migrator.registerMigration("t.1") { db in try db.execute(sql: "CREATE TABLE t (x INTEGER)") }
        }
        do {
            let pool = try ServiceDatabase.open(directory: directory, service: "svc", migrations: migrations)
            try await SQLiteDedupStore(writer: pool).record(reply("[7]"), for: "kept")
            try pool.close()
        }
        let reopened = try ServiceDatabase.open(directory: directory, service: "svc", migrations: migrations)
        #expect(try await SQLiteDedupStore(writer: reopened).reply(for: "kept") == reply("[7]"))
        let applied = try await reopened.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
        }
        #expect(applied == ["servicekit.1 bus_handled", "servicekit.2 bus_outbox", "servicekit.3 bus_emits", "t.1"])
    }
}
