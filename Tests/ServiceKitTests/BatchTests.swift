import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization
import Testing

/// Counts the commits that inserted into `effects`.
private final class CommitCounter: TransactionObserver, Sendable {
    let commits = Mutex(0)
    private let inserted = Mutex(false)

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind { return table == "effects" }
        return false
    }

    func databaseDidChange(with event: DatabaseEvent) { inserted.withLock { $0 = true } }

    func databaseDidCommit(_ db: Database) {
        if inserted.withLock({ state in defer { state = false }; return state }) { commits.withLock { $0 += 1 } }
    }

    func databaseDidRollback(_ db: Database) { inserted.withLock { $0 = false } }
}

/// Counts the runs of the pure handler.
private final class RunCounter: Sendable {
    let runs = Atomic(0)
}

/// Holds the service's handler loop until opened, so that the events published meanwhile wait
/// and are then handled as one batch.
final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let entered = Mutex(false)

    init() { (stream, continuation) = AsyncStream.makeStream(of: Void.self) }

    /// Whether a handler waits at the gate (or went through it).
    var isHeld: Bool { entered.withLock { $0 } }

    /// Returns once the gate is open.
    func wait() async {
        entered.withLock { $0 = true }
        for await _ in stream { break }
    }

    /// Opens the gate for every waiter, now and later.
    func open() { continuation.finish() }
}

/// A service with a `gate` event that holds the loop, writes that succeed or fail, a read of
/// the count, and pure handlers.
private func batchService(gate: Gate, counter: CommitCounter, pureRuns: RunCounter) -> ServiceDefinition {
    var definition = ServiceDefinition(name: "batch")
    definition.migrations = { migrator in
        migrator.registerMigration("batch.1 effects") { db in
            try db.execute(sql: "CREATE TABLE effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL)")
        }
    }
    definition.onStart = { control in control.database?.add(transactionObserver: counter, extent: .observerLifetime) }
    definition.on("/", "gate", pure: true) { event, _ in
        await gate.wait()
        return event.acknowledge(["opened"])
    }
    definition.on("/", "record") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            return event.acknowledge(["recorded"])
        }
    }
    definition.on("/", "record-and-fail") { event, context in
        let id = event.header.id
        struct InTheWrite: Error {}
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            throw InTheWrite()
        }
    }
    definition.on("/", "count") { event, context in
        let count = try await context.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM effects") ?? 0 }
        return event.acknowledge([.int(Int64(count))])
    }
    definition.on("/", "pure", pure: true) { event, _ in
        let run = pureRuns.runs.wrappingAdd(1, ordering: .relaxed).newValue
        return event.acknowledge([.int(Int64(run))])
    }
    definition.on("/", "pure-write", pure: true) { event, context in
        try await context.write { _ in event.acknowledge(["written"]) }
    }
    return definition
}

private func effectRows(_ harness: ServiceHarness) async throws -> [String: Int] {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { db in
        let rows = try Row.fetchAll(db, sql: "SELECT event_id, COUNT(*) AS n FROM effects GROUP BY event_id")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["event_id"] as String, $0["n"] as Int) })
    }
}

private func storedIDs(_ harness: ServiceHarness) async throws -> Set<String> {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM bus_handled")) }
}

/// Holds the handler loop at the gate (the service's `gate` event waits for it), publishes
/// `events` behind it, gives the bus time to deliver them, opens the gate: they are then handled
/// as one batch.
func batch(_ harness: ServiceHarness, gate: Gate, _ events: [Envelope]) async throws {
    let opener = harness.event("gate")
    harness.client.publish(opener)
    try #require(await eventually { gate.isHeld })
    events.forEach(harness.client.publish)
    try await Task.sleep(for: .milliseconds(500))
    gate.open()
    #expect(await eventually { harness.replies(to: opener.header.id).count == 1 })
}

@Suite("ServiceRuntime batches (group commit)", .serialized)
struct BatchTests {
    @Test("events that waited together commit in one transaction, each written once and answered once")
    func groupCommit() async throws {
        let (gate, counter) = (Gate(), CommitCounter())
        try await withService(batchService(gate: gate, counter: counter, pureRuns: RunCounter())) { harness in
            let events = (0..<50).map { _ in harness.event("record") }
            try await batch(harness, gate: gate, events)
            #expect(await eventually { events.allSatisfy { harness.replies(to: $0.header.id).count == 1 } })
            #expect(events.allSatisfy { harness.replies(to: $0.header.id).first?.header.error == nil })
            let rows = try await effectRows(harness)
            #expect(rows == Dictionary(uniqueKeysWithValues: events.map { ($0.header.id, 1) }))
            // 50 writes, far fewer commits (one when the bus delivered them all before the gate opened).
            #expect(counter.commits.withLock { $0 } < 10)
            #expect(try await storedIDs(harness).isSuperset(of: events.map(\.header.id)))
        }
    }

    @Test("a write that fails rolls back alone: its event gets INTERNAL_ERROR, its neighbours commit")
    func failingWriteAlone() async throws {
        let (gate, counter) = (Gate(), CommitCounter())
        try await withService(batchService(gate: gate, counter: counter, pureRuns: RunCounter())) { harness in
            let before = harness.event("record"), failing = harness.event("record-and-fail")
            let after = harness.event("record")
            try await batch(harness, gate: gate, [before, failing, after])
            #expect(await eventually { [before, failing, after].allSatisfy { harness.replies(to: $0.header.id).count == 1 } })
            #expect(harness.replies(to: failing.header.id).first?.header.error == "INTERNAL_ERROR")
            #expect(harness.replies(to: before.header.id).first?.header.error == nil)
            #expect(harness.replies(to: after.header.id).first?.header.error == nil)
            #expect(try await effectRows(harness) == [before.header.id: 1, after.header.id: 1])
            #expect(!(try await storedIDs(harness)).contains(failing.header.id))
        }
    }

    @Test("a copy of an event in the same batch is answered with the same reply and not done again")
    func copyInOneBatch() async throws {
        let (gate, counter) = (Gate(), CommitCounter())
        try await withService(batchService(gate: gate, counter: counter, pureRuns: RunCounter())) { harness in
            let event = harness.event("record")
            try await batch(harness, gate: gate, [event, event])
            #expect(await eventually { harness.replies(to: event.header.id).count == 2 })
            let replies = harness.replies(to: event.header.id)
            #expect(replies[0].body == replies[1].body && replies[0].header.error == nil)
            #expect(try await effectRows(harness) == [event.header.id: 1])
        }
    }

    @Test("a read after a write in the same batch sees the write; replies keep the events' order")
    func readYourBatch() async throws {
        let (gate, counter) = (Gate(), CommitCounter())
        try await withService(batchService(gate: gate, counter: counter, pureRuns: RunCounter())) { harness in
            let first = harness.event("record"), count = harness.event("count"), second = harness.event("record")
            try await batch(harness, gate: gate, [first, count, second])
            #expect(await eventually { harness.replies(to: second.header.id).count == 1 })
            let answer = try harness.replies(to: count.header.id).first?.decodeBody(as: [Instruction].self)
            guard case .ack(let ack) = answer?.first else { Issue.record("no ack: \(String(describing: answer))"); return }
            #expect(ack.args == [1])
            let order = harness.received.values.filter { $0.header.type == .reply }.compactMap(\.header.re)
            let ours = order.filter { [first.header.id, count.header.id, second.header.id].contains($0) }
            #expect(ours == [first.header.id, count.header.id, second.header.id])
        }
    }

    @Test("a pure handler is deduplicated in memory and never stored; it may not write")
    func pureHandlers() async throws {
        let counter = RunCounter()
        try await withService(batchService(gate: Gate(), counter: CommitCounter(), pureRuns: counter)) { harness in
            let event = harness.event("pure")
            let first = try await harness.request(event)
            let again = try await harness.request(event)
            #expect(first.body == again.body && first.header.error == nil)
            #expect(counter.runs.load(ordering: .relaxed) == 1)
            #expect(!(try await storedIDs(harness)).contains(event.header.id))
            let writing = try await harness.request(harness.event("pure-write"))
            #expect(writing.header.error == "INTERNAL_ERROR")
        }
    }
}
