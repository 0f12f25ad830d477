import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization
import Testing

/// What a service keeps in memory beside its database: the events it remembers having done,
/// those whose write it saw commit, and those it forgot again, in order.
private final class Memory: Sendable {
    let done = Mutex<Set<String>>([])
    let committed = Recorder<String>()
    let undone = Recorder<String>()
}

/// A service whose `remember` event inserts its id into `effects` and into memory, with hooks
/// that forget it when the write rolls back. Its database refuses the dedup record of events
/// whose id starts with `poison` (the write fails after the body changed memory), and an
/// `orphan` row breaks a deferred foreign key, so that the batch's commit fails.
private func rememberingService(gate: Gate, memory: Memory) -> ServiceDefinition {
    var definition = ServiceDefinition(name: "remembering")
    definition.migrations = { migrator in
        migrator.registerMigration("remembering.1") { db in
            try db.execute(sql: """
                CREATE TABLE effects (event_id TEXT NOT NULL);
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE orphan (parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                CREATE TRIGGER refuse_poison BEFORE INSERT ON bus_handled WHEN NEW.id LIKE 'poison%'
                BEGIN SELECT RAISE(ABORT, 'poisoned dedup record'); END;
                """)
        }
    }
    definition.on("/", "gate", pure: true) { event, _ in
        await gate.wait()
        return event.acknowledge(["opened"])
    }
    for (name, orphan) in [("remember", false), ("remember-orphan", true)] {
        definition.on("/", name) { event, context in
            let id = event.header.id
            return try await context.write { db in
                try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
                if orphan { try db.execute(sql: "INSERT INTO orphan (parent_id) VALUES (42)") }
                memory.done.withLock { _ = $0.insert(id) }
                db.afterWrite(onCommit: { memory.committed.add(id) },
                              onRollback: {
                                  memory.done.withLock { _ = $0.remove(id) }
                                  memory.undone.add(id)
                              })
                return event.acknowledge(["remembered"])
            }
        }
    }
    return definition
}

private func storedEffects(_ harness: ServiceHarness) async throws -> Set<String> {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { db in Set(try String.fetchAll(db, sql: "SELECT event_id FROM effects")) }
}

@Suite("ServiceRuntime batches: memory undone with the writes", .serialized)
struct BatchUndoTests {
    @Test("a dedup record that fails after the body rolls back the savepoint and the memory it changed")
    func failingDedupRecord() async throws {
        let (gate, memory) = (Gate(), Memory())
        try await withService(rememberingService(gate: gate, memory: memory)) { harness in
            let before = harness.event("remember"), poisoned = harness.event("remember", id: "poison-1")
            let after = harness.event("remember")
            try await batch(harness, gate: gate, [before, poisoned, after])
            #expect(await eventually { [before, poisoned, after].allSatisfy { harness.replies(to: $0.header.id).count == 1 } })
            #expect(harness.replies(to: poisoned.header.id).first?.header.error == "INTERNAL_ERROR")
            #expect(harness.replies(to: after.header.id).first?.header.error == nil)
            let kept: Set = [before.header.id, after.header.id]
            #expect(try await storedEffects(harness) == kept)
            #expect(memory.done.withLock { $0 } == kept)
            #expect(memory.committed.values == [before.header.id, after.header.id])
            #expect(memory.undone.values == [poisoned.header.id])
        }
    }

    @Test("a batch whose commit fails undoes the memory of every write in it, newest first, and commits none")
    func failingCommit() async throws {
        let (gate, memory) = (Gate(), Memory())
        try await withService(rememberingService(gate: gate, memory: memory)) { harness in
            let events = [harness.event("remember"), harness.event("remember-orphan"), harness.event("remember")]
            try await batch(harness, gate: gate, events)
            #expect(await eventually { events.allSatisfy { harness.replies(to: $0.header.id).count == 1 } })
            #expect(events.allSatisfy { harness.replies(to: $0.header.id).first?.header.error == "INTERNAL_ERROR" })
            #expect(try await storedEffects(harness) == [])
            #expect(memory.done.withLock { $0 } == [])
            #expect(memory.undone.values == events.reversed().map(\.header.id))
            #expect(memory.committed.values == [])
            // The next event is done, remembered and committed as usual.
            let later = harness.event("remember")
            #expect(try await harness.request(later).header.error == nil)
            #expect(try await storedEffects(harness) == [later.header.id])
            #expect(memory.done.withLock { $0 } == [later.header.id])
            #expect(memory.committed.values == [later.header.id])
        }
    }
}
