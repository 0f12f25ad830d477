import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Testing

/// A service whose handlers write through ``Context/write(_:)`` into an `effects` table.
private func ledger() -> ServiceDefinition {
    var definition = ServiceDefinition(name: "ledger")
    definition.migrations = { migrator in
        migrator.registerMigration("ledger.1 effects") { db in
            try db.execute(sql: "CREATE TABLE effects (seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL)")
        }
    }
    definition.on("/", "record") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            let seq = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM effects") ?? 0
            return event.acknowledge([.int(seq)])
        }
    }
    // Returns more than the write stored: a join from the write (which stores it with the route's
    // automatic ack, the event having asked for one), then an ack added afterwards.
    definition.on("/", "record-and-ack") { event, context in
        let id = event.header.id
        let written = try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            return [Instruction.join(Membership(ns: "/", rooms: ["ledger"], sids: [event.sid ?? ""]))]
        }
        return written + event.acknowledge(["recorded"])
    }
    // Writes, then fails: the work is committed, so what was written must be the answer.
    definition.on("/", "record-then-fail") { event, context in
        let id = event.header.id
        _ = try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            return event.acknowledge(["written"])
        }
        struct AfterTheWrite: Error {}
        throw AfterTheWrite()
    }
    // Attaches the event's bytes reversed to its reply.
    definition.on("/", "store-file") { event, context in
        let placeholder = context.attach(Data((event.attachments.first ?? Data()).reversed()))
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO effects (event_id) VALUES (?)", arguments: [id])
            return event.acknowledge([placeholder])
        }
    }
    return definition
}

/// Rows of `effects` per event id, read through a connection of its own.
private func effectCounts(_ harness: ServiceHarness) async throws -> [String: Int] {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { db in
        let rows = try Row.fetchAll(db, sql: "SELECT event_id, COUNT(*) AS n FROM effects GROUP BY event_id")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["event_id"] as String, $0["n"] as Int) })
    }
}

@Suite("ServiceRuntime with a database", .serialized)
struct ServiceRuntimeDatabaseTests {
    @Test("with context.write, an event delivered twice leaves exactly one effect row")
    func oneEffectPerEvent() async throws {
        try await withService(ledger()) { harness in
            let warmUpEvent = harness.event("record")
            let warmUp = try await harness.request(warmUpEvent)
            #expect(warmUp.header.error == nil)
            // Twice in a row through the delivery client…
            let sequential = harness.event("record")
            let first = try await harness.request(sequential)
            let second = try await harness.request(sequential)
            #expect(first.body == second.body)
            // …and twice back to back on the bus.
            let doubled = harness.event("record")
            harness.client.publish(doubled)
            harness.client.publish(doubled)
            #expect(await eventually { harness.replies(to: doubled.header.id).count == 2 })
            let doubledReplies = harness.replies(to: doubled.header.id)
            #expect(doubledReplies.count == 2 && doubledReplies[0].body == doubledReplies[1].body)

            let counts = try await effectCounts(harness)
            #expect(counts == [warmUpEvent.header.id: 1, sequential.header.id: 1, doubled.header.id: 1])
            let reader = try DatabaseQueue(path: harness.databasePath)
            let stored = try await SQLiteDedupStore(writer: reader).reply(for: sequential.header.id)
            #expect(stored == StoredReply(body: first.body, error: nil))
            try reader.close()
        }
    }

    @Test("the reply is stored in the database even when the service restarts")
    func replySurvivesRestart() async throws {
        let event: Envelope
        let firstBody: Data
        let directory: String
        do {
            let harness = try await ServiceHarness(ledger())
            event = harness.event("record")
            firstBody = try await harness.request(event).body
            directory = harness.configuration.dataDirectory
            await harness.stop(removingFiles: false)
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let restarted = try await ServiceHarness(ledger(), dataDirectory: directory)
        let again = try await restarted.request(restarted.event("record", id: event.header.id))
        #expect(again.body == firstBody)
        #expect(try await effectCounts(restarted) == [event.header.id: 1])
        await restarted.stop()
    }

    @Test("what write stored is the reply, first and repeated, even when the handler returns more")
    func writtenReplyStands() async throws {
        try await withService(ledger()) { harness in
            let event = harness.event("record-and-ack")
            let first = try await harness.request(event)
            #expect(first.header.error == nil)
            #expect(try first.decodeBody(as: [Instruction].self) == [
                .join(Membership(ns: "/", rooms: ["ledger"], sids: ["sid-1"])),
                .ack(Ack(sid: "sid-1", args: [["success": true]])),
            ])
            let repeated = try await harness.request(event)
            #expect(repeated.body == first.body)
            #expect(try await effectCounts(harness) == [event.header.id: 1])
        }
    }

    @Test("a handler that fails after its write committed is answered with what it wrote")
    func failureAfterWrite() async throws {
        try await withService(ledger()) { harness in
            let event = harness.event("record-then-fail")
            let first = try await harness.request(event)
            #expect(first.header.error == nil)
            #expect(try first.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: ["written"]))])
            let repeated = try await harness.request(event)
            #expect(repeated.header.error == nil)
            #expect(repeated.body == first.body)
            #expect(try await effectCounts(harness) == [event.header.id: 1])
        }
    }

    @Test("reply attachments go out with the reply and again, from the store, with a repeat")
    func replyAttachments() async throws {
        try await withService(ledger()) { harness in
            let bytes = Data((0...255).map { UInt8($0) })
            var event = harness.event("store-file", args: #"[{"_placeholder":true,"num":0}]"#)
            event.attachments = [bytes]
            let first = try await harness.request(event)
            #expect(first.attachments == [Data(bytes.reversed())])
            #expect(String(decoding: first.body, as: UTF8.self)
                == #"[{"args":[{"_placeholder":true,"num":0}],"op":"ack","sid":"sid-1"}]"#)
            let repeated = try await harness.request(event)
            #expect(repeated.attachments == first.attachments)
            #expect(repeated.body == first.body)
            #expect(try await effectCounts(harness) == [event.header.id: 1])
        }
    }
}
