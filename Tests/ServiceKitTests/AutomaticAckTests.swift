import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Testing

/// A service whose handlers answer no ack (one of them declaring its own), one that acks by
/// itself, one that writes without an ack, and an HTTP route that answers nothing.
private func quiet() -> ServiceDefinition {
    var definition = ServiceDefinition(name: "quiet")
    definition.migrations = { migrator in
        migrator.registerMigration("quiet.1 work") { db in try db.execute(sql: "CREATE TABLE work (event_id TEXT)") }
    }
    definition.on("/", "silent", pure: true) { _, _ in [] }
    definition.on("/", "joins", pure: true) { event, _ in
        [.join(Membership(ns: "/", rooms: ["lobby"], sids: [event.sid ?? ""]))]
    }
    definition.on("/", "declared", pure: true, ack: [["ok": true]]) { _, _ in [] }
    definition.on("/", "answers", pure: true) { event, _ in event.acknowledge([["mine": true]]) }
    definition.on("/", "writes") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO work (event_id) VALUES (?)", arguments: [id])
            return []
        }
    }
    definition.on("http", "GET /api/nothing", pure: true) { _, _ in [] }
    return definition
}

/// `name` on `ns`, with or without an ack request, answered on the harness's inbox.
private func event(_ harness: ServiceHarness, _ name: String, ns: String = "/", ack: Bool = true) -> Envelope {
    var envelope = harness.event(name)
    envelope.header.ns = ns
    envelope.header.ack = ack
    return envelope
}

/// The instructions of the reply to `event`.
private func answer(_ harness: ServiceHarness, _ event: Envelope) async throws -> [Instruction] {
    try await harness.request(event).decodeBody(as: [Instruction].self)
}

@Suite("The automatic acknowledgement", .serialized)
struct AutomaticAckTests {
    @Test("routes declare their ack: {success: true} by default, {status: 204} on http, or their own")
    func declarations() {
        let definition = quiet()
        #expect(definition.acks[Route(ns: "/", event: "silent")] == ServiceDefinition.successAck)
        #expect(definition.acks[Route(ns: "/", event: "declared")] == [["ok": true]])
        #expect(definition.acks[Route(ns: "http", event: "GET /api/nothing")] == ServiceDefinition.noContentAck)
        #expect(ServiceDefinition.successAck == [["success": true]] && ServiceDefinition.noContentAck == [["status": 204]])
    }

    @Test("an event that asked for an ack and got none from its handler gets the route's, after its instructions")
    func addedWhenMissing() async throws {
        try await withService(quiet()) { harness in
            let success = Instruction.ack(Ack(sid: "sid-1", args: [["success": true]]))
            let silent = try await answer(harness, event(harness, "silent"))
            #expect(silent == [success])
            let joins = try await answer(harness, event(harness, "joins"))
            #expect(joins == [.join(Membership(ns: "/", rooms: ["lobby"], sids: ["sid-1"])), success])
            let declared = try await answer(harness, event(harness, "declared"))
            #expect(declared == [.ack(Ack(sid: "sid-1", args: [["ok": true]]))])
            let http = try await answer(harness, event(harness, "GET /api/nothing", ns: "http"))
            #expect(http == [.ack(Ack(sid: "sid-1", args: [["status": 204]]))])
        }
    }

    @Test("a handler's own ack stands, and an event that asked for none gets none")
    func leftAlone() async throws {
        try await withService(quiet()) { harness in
            let answers = try await answer(harness, event(harness, "answers"))
            #expect(answers == [.ack(Ack(sid: "sid-1", args: [["mine": true]]))])
            let unasked = try await answer(harness, event(harness, "silent", ack: false))
            #expect(unasked.isEmpty)
        }
    }

    @Test("a handler that writes stores its reply with the ack, so a repeat gets the same answer")
    func storedWithTheWrite() async throws {
        try await withService(quiet()) { harness in
            let writing = event(harness, "writes")
            let first = try await harness.request(writing)
            let instructions = try first.decodeBody(as: [Instruction].self)
            #expect(instructions == [.ack(Ack(sid: "sid-1", args: [["success": true]]))])
            let reader = try DatabaseQueue(path: harness.databasePath)
            defer { try? reader.close() }
            let stored = try await SQLiteDedupStore(writer: reader).reply(for: writing.header.id)
            #expect(stored?.body == first.body)
            let repeated = try await harness.request(writing)
            #expect(repeated.body == first.body && repeated.header.error == nil)
        }
    }
}
