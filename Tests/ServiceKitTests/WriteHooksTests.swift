import Foundation
import GRDB
import ServiceKit
import Testing

private struct Refused: Error {}

/// A database with a table `items`, and what the hooks of a test did, in order.
private final class Fixture: Sendable {
    let database: DatabaseQueue
    let log = Recorder<String>()

    init() throws {
        database = try DatabaseQueue()
        try database.write { db in try db.execute(sql: "CREATE TABLE items (name TEXT NOT NULL)") }
    }

    /// Inserts `name` and registers hooks that log `commit <name>` / `undo <name>`.
    func insert(_ name: String, in db: Database) throws {
        try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: [name])
        db.afterWrite(onCommit: { [log] in log.add("commit \(name)") }, onRollback: { [log] in log.add("undo \(name)") })
    }

    func items() throws -> [String] {
        try database.read { db in try String.fetchAll(db, sql: "SELECT name FROM items ORDER BY name") }
    }
}

@Suite("Database.afterWrite and inUndoableSavepoint")
struct WriteHooksTests {
    @Test("a savepoint rolled back undoes its hooks at once; the transaction goes on and commits the others")
    func savepointRollsBackAlone() throws {
        let fixture = try Fixture()
        try fixture.database.write { db in
            try db.inUndoableSavepoint { try fixture.insert("a", in: db) }
            #expect(throws: Refused.self) {
                try db.inUndoableSavepoint {
                    try fixture.insert("b", in: db)
                    try fixture.insert("c", in: db)
                    throw Refused()
                }
            }
            #expect(fixture.log.values == ["undo c", "undo b"])
            try db.inUndoableSavepoint { try fixture.insert("d", in: db) }
        }
        #expect(fixture.log.values == ["undo c", "undo b", "commit a", "commit d"])
        #expect(try fixture.items() == ["a", "d"])
    }

    @Test("released savepoints whose transaction rolls back undo newest first, and never commit")
    func transactionRollsBackReleasedSavepoints() throws {
        let fixture = try Fixture()
        #expect(throws: Refused.self) {
            try fixture.database.write { db in
                try db.inUndoableSavepoint { try fixture.insert("a", in: db) }
                try db.inUndoableSavepoint { try fixture.insert("b", in: db) }
                throw Refused()
            }
        }
        #expect(fixture.log.values == ["undo b", "undo a"])
        #expect(try fixture.items() == [])
    }

    @Test("an inner savepoint rolls back alone; its released hooks join the outer one")
    func nestedSavepoints() throws {
        let fixture = try Fixture()
        #expect(throws: Refused.self) {
            try fixture.database.write { db in
                try db.inUndoableSavepoint {
                    try fixture.insert("outer", in: db)
                    try db.inUndoableSavepoint { try fixture.insert("kept", in: db) }
                    try? db.inUndoableSavepoint {
                        try fixture.insert("inner", in: db)
                        throw Refused()
                    }
                    #expect(fixture.log.values == ["undo inner"])
                    throw Refused()
                }
            }
        }
        #expect(fixture.log.values == ["undo inner", "undo kept", "undo outer"])
        #expect(try fixture.items() == [])
    }

    @Test("hooks outside any undoable savepoint end with the transaction; one that opens none makes its own")
    func transactionLevel() throws {
        let fixture = try Fixture()
        try fixture.database.write { db in try fixture.insert("plain", in: db) }
        #expect(throws: Refused.self) {
            try fixture.database.write { db in
                try fixture.insert("gone", in: db)
                throw Refused()
            }
        }
        try fixture.database.writeWithoutTransaction { db in
            try db.inUndoableSavepoint { try fixture.insert("own", in: db) }
            #expect(!db.isInsideTransaction)
        }
        #expect(fixture.log.values == ["commit plain", "undo gone", "commit own"])
        #expect(try fixture.items() == ["own", "plain"])
    }

    @Test("a commit that fails rolls back, and the hooks of every released savepoint undo")
    func failedCommit() throws {
        let fixture = try Fixture()
        try fixture.database.write { db in
            try db.execute(sql: "CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            try db.execute(sql: """
                CREATE TABLE child (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)
                """)
        }
        let commitFailed = try fixture.database.writeWithoutTransaction { db -> Bool in
            try db.beginTransaction()
            try db.inUndoableSavepoint { try fixture.insert("a", in: db) }
            try db.inUndoableSavepoint {
                try fixture.insert("b", in: db)
                try db.execute(sql: "INSERT INTO child (parent_id) VALUES (42)")
            }
            do {
                try db.commit()
                return false
            } catch {
                try db.rollback()
                return true
            }
        }
        #expect(commitFailed)
        #expect(fixture.log.values == ["undo b", "undo a"])
        #expect(try fixture.items() == [])
    }
}
