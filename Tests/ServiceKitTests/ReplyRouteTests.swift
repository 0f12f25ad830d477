import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Testing

/// A service answering an edge's events with instructions that reach beyond the asking socket
/// (a room, a user) or not (that socket alone), pure and through ``Context/write(_:)``.
private func router() -> ServiceDefinition {
    var definition = ServiceDefinition(name: "router")
    definition.migrations = { migrator in
        migrator.registerMigration("router.1 notes") { db in
            try db.execute(sql: "CREATE TABLE notes (event_id TEXT NOT NULL)")
        }
    }
    definition.on("/", "to-room", pure: true) { _, _ in
        [.emit(Emit(ns: "/", event: "said", args: [["text": "hi"]], to: Audience(rooms: ["lobby"])))]
    }
    definition.on("/", "to-self", pure: true) { event, _ in
        [.emit(Emit(ns: "/", event: "said", args: [], to: Audience(sids: [event.sid ?? ""])))]
    }
    definition.on("/", "write-to-user") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO notes (event_id) VALUES (?)", arguments: [id])
            return [.emit(Emit(ns: "/", event: "noted", args: [], to: Audience(users: ["42"])))]
        }
    }
    definition.on("/", "write-to-self") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO notes (event_id) VALUES (?)", arguments: [id])
            return []
        }
    }
    return definition
}

/// The reply's topic (bus protocol §12) as the runtime chooses it: from the instructions of a
/// fresh reply, from the remembered reach of a repeat answered from memory, and from the bytes
/// of a repeat answered from the database after a restart.
@Suite("Where ServiceKit publishes a reply", .serialized)
struct ReplyRouteTests {
    /// What each event's reply must be published on.
    static let expected = [
        "to-room": Topic.edge, "to-self": Topic.edge("edge-1"),
        "write-to-user": Topic.edge, "write-to-self": Topic.edge("edge-1"),
    ]

    /// The harness hears `edge.edge-1` too, from before the first reply on it.
    func listening(_ harness: ServiceHarness) async throws {
        harness.client.subscribe(.exact(Topic.edge("edge-1")))
        let probe = Envelope(topic: Topic.edge("edge-1"), header: BusHeader(type: .emit, from: "test-client"),
                             body: Data("[]".utf8))
        try #require(await eventually {
            harness.client.publish(probe)
            return harness.received.values.contains { $0.header.id == probe.header.id }
        })
    }

    /// Event `name` of socket `sid-1` on `edge-1`, asked as an edge asks (`replyTo: edge.edge-1`).
    func edgeEvent(_ harness: ServiceHarness, _ name: String, id: String) -> Envelope {
        var envelope = harness.event(name, id: id)
        envelope.header.replyTo = Topic.edge("edge-1")
        return envelope
    }

    /// Publishes each event and waits for its `count`th reply; returns the topics of its replies.
    func send(_ harness: ServiceHarness, _ ids: [String: String], count: Int) async throws -> [String: [String]] {
        for (name, id) in ids { harness.client.publish(edgeEvent(harness, name, id: id)) }
        try #require(await eventually { ids.values.allSatisfy { harness.replies(to: $0).count >= count } })
        return ids.mapValues { id in harness.replies(to: id).map(\.topic) }
    }

    @Test("fresh replies and repeats from memory go where their instructions say")
    func freshAndRemembered() async throws {
        try await withService(router()) { harness in
            try await listening(harness)
            let ids = Self.expected.mapValues { _ in MessageID.make() }
            let first = try await send(harness, ids, count: 1)
            #expect(first == Self.expected.mapValues { [$0] })
            for (name, id) in ids {
                let body = try #require(harness.replies(to: id).first).body
                let instructions = try JSONCoding.decode([Instruction].self, from: body)
                #expect(instructions.last == .ack(Ack(sid: "sid-1", args: [["success": true]])), "\(name)")
            }
            let again = try await send(harness, ids, count: 2)
            #expect(again == Self.expected.mapValues { [$0, $0] })
        }
    }

    @Test("a written reply answered again from the database after a restart goes where its bytes say")
    func storedAfterRestart() async throws {
        let written = Self.expected.filter { $0.key.hasPrefix("write") }
        let ids = written.mapValues { _ in MessageID.make() }
        let directory: String
        do {
            let harness = try await ServiceHarness(router())
            try await listening(harness)
            #expect(try await send(harness, ids, count: 1) == written.mapValues { [$0] })
            directory = harness.configuration.dataDirectory
            await harness.stop(removingFiles: false)
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let restarted = try await ServiceHarness(router(), dataDirectory: directory)
        try await listening(restarted)
        #expect(try await send(restarted, ids, count: 1) == written.mapValues { [$0] })
        let reader = try DatabaseQueue(path: restarted.databasePath)
        let notes = try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notes") }
        #expect(notes == ids.count, "the repeats were answered from the store, not handled again")
        try reader.close()
        await restarted.stop()
    }
}
