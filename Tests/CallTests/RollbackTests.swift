import Contracts
import ServiceKit
import GRDB
import Testing
@testable import Call

/// The engine's journal against the database: a change whose effects fail to store is taken
/// back at once; a savepoint of ServiceKit's (`Context.write`'s, a batch's) that rolls back after
/// the change takes it back; a transaction that rolls back takes back every change made in it,
/// also when each change ran in its own savepoint; a commit forgets the journal.
@Suite struct RollbackTests {
    struct Refused: Error {}

    /// The engine's state as an image.
    func image(_ h: ServiceHarness) -> StateImage {
        h.engine.state.withLock { StateImage($0) }
    }

    /// `call:initiate` from `user` to `telecaller` as a change, the new call named `id`.
    func initiate(_ h: ServiceHarness, _ db: Database, _ user: String, _ telecaller: String, _ id: String) throws -> CallOutcome {
        try h.engine.change(db) { state, now in
            state.book.handle(.client(userSocket(user), event: "call:initiate",
                                      payload: ["telecallerId": .string(telecaller), "callType": "AUDIO"]),
                              now: now, newCallID: { id })
        }
    }

    /// Connected sockets of u1, u2, t1 and t2.
    func connected() async throws -> ServiceHarness {
        let h = try await ServiceHarness().seeded()
        for socket in [userSocket("u1"), userSocket("u2"), telecallerSocket("t1"), telecallerSocket("t2")] {
            try await h.life(.connected, socket)
        }
        return h
    }

    @Test func aChangeWhoseEffectsFailLeavesTheBookExactlyAsBefore() async throws {
        let h = try await connected()
        let before = image(h)
        try await h.database.write { try $0.execute(sql: "ALTER TABLE calls RENAME TO calls_away") }
        await #expect(throws: (any Error).self) {
            try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        }
        #expect(image(h) == before)
        #expect(h.engine.state.withLock { $0.mark } == CallState.Mark(state: 0, book: 0))
    }

    @Test func aTransactionRolledBackAfterTwoChangesRestoresTheBook() async throws {
        let h = try await connected()
        let before = image(h)
        await #expect(throws: Refused.self) {
            try await h.database.write { db in
                _ = try initiate(h, db, "u1", "t1", "c1")
                _ = try h.engine.change(db) { state, now in
                    state.apply(socketDisconnected(telecallerSocket("t2"), edge: "edge-1"), now: now)
                }
                throw Refused()
            }
        }
        #expect(image(h) == before)
        #expect(try await h.storedCall("c1") == nil)
    }

    /// As the runtime will batch events: one transaction, each change in its own savepoint.
    @Test func savepointsInOneTransaction() async throws {
        let h = try await connected()
        let before = image(h)
        await #expect(throws: Refused.self) {
            try await h.database.write { db in
                try db.inSavepoint { _ = try initiate(h, db, "u1", "t1", "c1"); return .commit }
                try db.inSavepoint { _ = try initiate(h, db, "u2", "t2", "c2"); return .commit }
                throw Refused()
            }
        }
        #expect(image(h) == before)

        // A change whose effects fail rolls back its savepoint alone; the others commit.
        let afterFirst = try await h.database.write { db -> StateImage in
            try db.inSavepoint { _ = try initiate(h, db, "u1", "t1", "c1"); return .commit }
            let afterFirst = image(h)
            try db.execute(sql: "ALTER TABLE calls RENAME TO calls_away")
            #expect(throws: (any Error).self) {
                try db.inSavepoint { _ = try initiate(h, db, "u2", "t2", "c2"); return .commit }
            }
            try db.execute(sql: "ALTER TABLE calls_away RENAME TO calls")
            return afterFirst
        }
        #expect(image(h) == afterFirst)
        #expect(h.engine.book.calls.keys.sorted() == ["c1"])
        #expect(try await h.storedCall("c1")?.status == .ringing)
        #expect(try await h.storedCall("c2") == nil)
        #expect(h.engine.state.withLock { $0.mark } == CallState.Mark(state: 0, book: 0))
    }

    /// As in a batch: each event's write in its own undoable savepoint of one transaction. The
    /// second fails after its change (as when its dedup record cannot be written): its savepoint
    /// rolls back and takes the change back, the first commits.
    @Test func aWriteThatFailsAfterItsChangeIsTakenBackWhileTheTransactionCommits() async throws {
        let h = try await connected()
        let afterFirst = try await h.database.write { db -> StateImage in
            try db.inUndoableSavepoint { _ = try initiate(h, db, "u1", "t1", "c1") }
            let afterFirst = image(h)
            #expect(throws: Refused.self) {
                try db.inUndoableSavepoint {
                    _ = try initiate(h, db, "u2", "t2", "c2")
                    throw Refused()
                }
            }
            #expect(image(h) == afterFirst)
            return afterFirst
        }
        #expect(image(h) == afterFirst)
        #expect(h.engine.book.calls.keys.sorted() == ["c1"])
        #expect(try await h.storedCall("c1")?.status == .ringing)
        #expect(try await h.storedCall("c2") == nil)
        #expect(h.engine.state.withLock { $0.mark } == CallState.Mark(state: 0, book: 0))
    }

    /// `Context.write` stores the event's dedup record after the body, in the same savepoint:
    /// when that insert fails, the change the body made is taken back with the savepoint.
    @Test func aClientEventWhoseDedupRecordFailsLeavesBookAndDatabaseAsBefore() async throws {
        let h = try await connected()
        let before = image(h)
        try await h.database.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_record BEFORE INSERT ON bus_handled WHEN NEW.id = 'poisoned'
                BEGIN SELECT RAISE(ABORT, 'refused'); END
                """)
        }
        let socket = userSocket("u1")
        let initiate = h.event(ns: socket.ns, "call:initiate", [["telecallerId": "t1", "callType": "AUDIO"]],
                               sid: socket.sid, user: socket.identity)
        await #expect(throws: DatabaseError.self) {
            try await h.engine.clientEvent(initiate, context: h.context("poisoned"))
        }
        #expect(image(h) == before)
        #expect(h.engine.book.calls.isEmpty)
        #expect(try await h.database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM calls") } == 0)
        #expect(h.engine.state.withLock { $0.mark } == CallState.Mark(state: 0, book: 0))
        // The same event under another id goes through, in memory and on disk alike.
        _ = try await h.engine.clientEvent(initiate, context: h.context("healthy"))
        let calls = Array(h.engine.book.calls.values)
        #expect(calls.count == 1)
        #expect(try await h.storedCall(calls[0].id) == calls[0])
    }
}
