import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Testing

/// An emit of `event` to every socket of `/`.
private func note(_ event: String) -> [Instruction] {
    [.emit(Emit(ns: "/", event: event, args: [], to: Audience(all: true)))]
}

/// A service whose `connected` life handler writes and emits (a durable emit), whose
/// `disconnected` handler emits without writing (a plain one), whose background task writes
/// through `ServiceControl.write` once (after a write that fails), with `gate` and `record` events
/// for batches. With `keepRows` a trigger refuses to delete from `bus_emits`, as if the process
/// had died right after publishing: the rows stay for the test to read and the next start.
private func emitter(keepRows: Bool, gate: Gate = Gate()) -> ServiceDefinition {
    var definition = ServiceDefinition(name: "emitter")
    definition.migrations = { migrator in
        migrator.registerMigration("emitter.1 work") { db in
            try db.execute(sql: "CREATE TABLE work (item TEXT NOT NULL)")
            if keepRows {
                try db.execute(sql: """
                    CREATE TRIGGER keep_emits BEFORE DELETE ON bus_emits BEGIN SELECT RAISE(ABORT, 'kept'); END
                    """)
            }
        }
    }
    definition.onLife(.connected) { _, context in
        try await context.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('connected')")
            return note("connected-noted")
        }
    }
    definition.onLife(.disconnected) { _, _ in note("disconnected-noted") }
    definition.background { control in
        struct Deliberate: Error {}
        _ = try? await control.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('rolled back')")
            throw Deliberate()
        }
        _ = try? await control.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('settled')")
            return note("settled")
        }
    }
    definition.on("/", "gate", pure: true) { event, _ in
        await gate.wait()
        return event.acknowledge(["opened"])
    }
    definition.on("/", "record") { event, context in
        try await context.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('record')")
            return event.acknowledge(["recorded"])
        }
    }
    return definition
}

/// A life fact of `kind` from `edge-1`.
private func fact(_ kind: LifeFactKind) -> Envelope {
    var header = BusHeader(type: .life, from: "edge-1")
    header.event = kind.rawValue
    header.edge = "edge-1"
    header.sid = "s-1"
    return Envelope(topic: Topic.life, header: header, body: Data(#"[{"ns":"/","sid":"s-1"}]"#.utf8))
}

/// The emits the harness heard from its runtime, by the event of their first instruction.
private func emits(_ harness: ServiceHarness) -> [String: [Envelope]] {
    Dictionary(grouping: harness.received.values.filter {
        $0.header.type == .emit && $0.header.from == harness.configuration.instance
    }) { envelope in
        guard case .emit(let emit) = (try? envelope.decodeBody(as: [Instruction].self))?.first else { return "" }
        return emit.event
    }
}

/// The rows of `bus_emits`, oldest first: id and `created_at`.
private func rows(_ harness: ServiceHarness) async throws -> [(id: String, createdAt: Int64)] {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { db in
        try Row.fetchAll(db, sql: "SELECT id, created_at FROM bus_emits ORDER BY seq").map { ($0["id"], $0["created_at"]) }
    }
}

@Suite("Durable emits", .serialized)
struct DurableEmitTests {
    @Test("an emit decided in a transaction is stored with it, published with the row's id and ts, and published again by the next start")
    func storedPublishedAndRepublished() async throws {
        let first = try await ServiceHarness(emitter(keepRows: true))
        first.client.publish(fact(.connected))
        first.client.publish(fact(.disconnected))
        #expect(await eventually { Set(emits(first).keys).isSuperset(of: ["connected-noted", "disconnected-noted", "settled"]) })
        let heard = emits(first)
        let connected = try #require(heard["connected-noted"]?.first)
        let settled = try #require(heard["settled"]?.first)
        let stored = try await rows(first)
        #expect(Set(stored.map(\.id)) == [connected.header.id, settled.header.id],
                "the durable emits are stored, the plain one and the rolled-back write's are not")
        #expect(stored.first { $0.id == connected.header.id }?.createdAt == connected.header.ts)
        #expect(stored.first { $0.id == settled.header.id }?.createdAt == settled.header.ts)
        await first.stop(removingFiles: false)

        let second = try await ServiceHarness(emitter(keepRows: true), dataDirectory: first.configuration.dataDirectory)
        #expect(await eventually { (emits(second)["connected-noted"] ?? []).count == 1 })
        let again = try #require(emits(second)["connected-noted"]?.first)
        #expect(again.header.id == connected.header.id && again.header.ts == connected.header.ts)
        #expect(again.body == connected.body && again.topic == Topic.edge)
        #expect(emits(second)["settled"]?.contains { $0.header.id == settled.header.id } == true)
        #expect(emits(second)["disconnected-noted"] == nil, "a plain emit is never published again")
        await second.stop()
    }

    @Test("once published, a durable emit's row is deleted")
    func rowsGoOncePublished() async throws {
        try await withService(emitter(keepRows: false)) { harness in
            harness.client.publish(fact(.connected))
            #expect(await eventually { emits(harness)["connected-noted"]?.count == 1 && emits(harness)["settled"] != nil })
            #expect(await eventually { (try? await rows(harness))?.isEmpty == true })
        }
    }

    @Test("a durable emit's row stays until a hello said after it came back through the bus, or a quick graceful close")
    func rowsStayUntilTheBusHasThem() async throws {
        // Ready hellos every minute. The hello pump says one more as it ends its probing, just
        // after the start-up step: it covers the background task's `settled`, and none follows.
        let harness = try await ServiceHarness(emitter(keepRows: false), helloIntervalMilliseconds: 60_000)
        #expect(await eventually { emits(harness)["settled"] != nil })
        #expect(await eventually { (try? await rows(harness))?.isEmpty == true }, "a hello after it came back")
        try await Task.sleep(for: .milliseconds(300))
        harness.client.publish(fact(.connected))
        #expect(await eventually { emits(harness)["connected-noted"]?.count == 1 })
        try await Task.sleep(for: .milliseconds(300))
        let connected = try #require(emits(harness)["connected-noted"]?.first)
        #expect(try await rows(harness).map(\.id) == [connected.header.id],
                "a process killed now would publish it again at its next start")
        // A graceful stop whose close is quicker than the linger time sent them: the rows go.
        await harness.stop(removingFiles: false)
        #expect(try await rows(harness).isEmpty)
        try? FileManager.default.removeItem(atPath: harness.configuration.dataDirectory)
    }

    @Test("a durable emit keeps its place among the replies of its batch")
    func orderInTheBatch() async throws {
        let gate = Gate()
        try await withService(emitter(keepRows: false, gate: gate)) { harness in
            let before = harness.event("record"), after = harness.event("record")
            try await batch(harness, gate: gate, [before, fact(.connected), after])
            #expect(await eventually { harness.replies(to: after.header.id).count == 1 })
            let order = harness.received.values.compactMap { envelope -> String? in
                if envelope.header.type == .reply, [before.header.id, after.header.id].contains(envelope.header.re) {
                    return envelope.header.re
                }
                return emits(harness)["connected-noted"]?.first?.header.id == envelope.header.id ? "emit" : nil
            }
            #expect(order == [before.header.id, "emit", after.header.id])
        }
    }
}
