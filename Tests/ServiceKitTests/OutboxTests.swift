import Bus
import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization
import Testing

/// A service whose handlers enqueue requests for the service `sink` in their transaction.
private func asker(released: Recorder<Bool> = Recorder(), holding: Recorder<Bool> = Recorder()) -> ServiceDefinition {
    var definition = ServiceDefinition(name: "asker")
    definition.migrations = { migrator in
        migrator.registerMigration("asker.1 work") { db in
            try db.execute(sql: "CREATE TABLE work (event_id TEXT NOT NULL)")
        }
    }
    // Each argument becomes one request `deliver [argument]`, committed with the work.
    definition.on("/", "ask") { event, context in
        let id = event.header.id
        return try await context.write { db in
            try db.execute(sql: "INSERT INTO work (event_id) VALUES (?)", arguments: [id])
            for argument in event.args {
                try Outbox.enqueue(db, service: "sink", event: "deliver", args: [argument],
                                   traceparent: context.traceparent)
            }
            return event.acknowledge(["queued"])
        }
    }
    // Enqueues, then fails inside the transaction: everything rolls back.
    definition.on("/", "ask-then-fail") { event, context in
        try await context.write { db in
            try Outbox.enqueue(db, service: "sink", event: "deliver", args: ["rolled back"])
            struct InsideTheTransaction: Error {}
            throw InsideTheTransaction()
        }
    }
    // Keeps the handler loop busy until the test releases it.
    definition.on("/", "hold") { event, _ in
        holding.add(true)
        _ = await eventually(within: 20) { !released.values.isEmpty }
        return event.acknowledge(["released"])
    }
    return definition
}

/// The receiving side: a bus connection subscribed to `svc.sink` that records each request
/// and answers it when told to.
private final class Sink: Sendable {
    let connection: BusConnection
    let requests = Recorder<Envelope>()
    private let task: Task<Void, Never>

    init(_ harness: ServiceHarness) async throws {
        connection = try BusConnection(configuration: harness.configuration.bus, logger: quietLogger)
        connection.subscribe(.exact(Topic.service("sink")))
        connection.subscribe(.exact(Topic.hello))
        let (connection, requests, heard) = (connection, requests, Recorder<Bool>())
        task = Task {
            for await envelope in connection.messages {
                if envelope.header.type == .hello { heard.add(true) } else { requests.add(envelope) }
            }
        }
        // A hello heard means the `svc.sink` subscription, made first, is live too.
        try #require(await eventually { !heard.values.isEmpty })
    }

    /// Replies to `request` on its `replyTo`, with `error` or with a success ack.
    func answer(_ request: Envelope, error: String? = nil) {
        var header = BusHeader(type: .reply, from: "sink-1", re: request.header.id)
        header.ns = request.header.ns
        header.event = request.header.event
        header.sid = request.header.sid
        header.error = error
        let body = error == nil ? #"[{"args":[{"success":true}],"op":"ack","sid":"\#(request.header.sid ?? "")"}]"# : "[]"
        connection.publish(Envelope(topic: request.header.replyTo ?? Topic.edge, header: header, body: Data(body.utf8)))
    }

    func close() async {
        task.cancel()
        await connection.close()
    }
}

/// The requests still in `harness`'s outbox, read through a connection of its own.
private func waiting(_ harness: ServiceHarness) async throws -> [OutboxRequest] {
    let reader = try DatabaseQueue(path: harness.databasePath)
    defer { try? reader.close() }
    return try await reader.read { try Outbox.pending($0) }
}

@Suite("Outbox: durable requests between services", .serialized)
struct OutboxTests {
    @Test("a committed write sends its requests, oldest first, as ns \"\" events with ack and the inbox")
    func commitSends() async throws {
        try await withService(asker()) { harness in
            let sink = try await Sink(harness)
            var event = harness.event("ask", args: #"["one", "two", "three"]"#)
            event.header.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            #expect(try await harness.request(event).header.error == nil)
            #expect(await eventually { sink.requests.values.count == 3 })
            let requests = sink.requests.values
            #expect(try requests.map { try $0.decodeBody(as: [JSON].self) } == [["one"], ["two"], ["three"]])
            let stored = try await waiting(harness)
            #expect(stored.map(\.id) == requests.map(\.header.id))
            for request in requests {
                #expect(request.topic == Topic.service("sink"))
                #expect(request.header.type == .event)
                #expect(request.header.ns == "")
                #expect(request.header.event == "deliver")
                #expect(request.header.ack == true)
                #expect(request.header.sid?.isEmpty == false)
                #expect(request.header.from == harness.configuration.instance)
                #expect(request.header.replyTo == Topic.inbox(harness.configuration.instance))
                #expect(request.header.traceparent == event.header.traceparent)
            }
            await sink.close()
        }
    }

    @Test("a request enqueued in a transaction that rolls back is never sent")
    func rollbackSendsNothing() async throws {
        try await withService(asker()) { harness in
            let sink = try await Sink(harness)
            #expect(try await harness.request(harness.event("ask-then-fail")).header.error == "INTERNAL_ERROR")
            #expect(try await waiting(harness).isEmpty)
            // A committed request afterwards is the first and only one the sink sees.
            _ = try await harness.request(harness.event("ask", args: #"["committed"]"#))
            #expect(await eventually { !sink.requests.values.isEmpty })
            try await Task.sleep(for: .milliseconds(300))
            #expect(try sink.requests.values.map { try $0.decodeBody(as: [JSON].self) } == [["committed"]])
            await sink.close()
        }
    }

    @Test("the reply deletes the row; a failure reply keeps it and it is sent again with the same id")
    func replyDeletes() async throws {
        try await withService(asker()) { harness in
            let sink = try await Sink(harness)
            _ = try await harness.request(harness.event("ask", args: #"["first"]"#))
            #expect(await eventually { sink.requests.values.count == 1 })
            let first = try #require(sink.requests.values.first)
            sink.answer(first, error: "UNKNOWN_EVENT")
            // Kept, and after the back-off sent again, unchanged.
            #expect(await eventually { sink.requests.values.count == 2 })
            let again = try #require(sink.requests.values.last)
            #expect(again.header.id == first.header.id && again.body == first.body && again.header.ts == first.header.ts)
            #expect(try await waiting(harness).map(\.id) == [first.header.id])
            sink.answer(again)
            #expect(await eventually { (try? await waiting(harness).isEmpty) == true })
            await sink.close()
        }
    }

    @Test("a BAD_REQUEST reply is final: the row is dropped and the next request goes out at once")
    func malformedIsDropped() async throws {
        try await withService(asker()) { harness in
            let sink = try await Sink(harness)
            _ = try await harness.request(harness.event("ask", args: #"["bad"]"#))
            #expect(await eventually { sink.requests.values.count == 1 })
            let bad = try #require(sink.requests.values.first)
            sink.answer(bad, error: "BAD_REQUEST")
            #expect(await eventually { (try? await waiting(harness).isEmpty) == true })
            _ = try await harness.request(harness.event("ask", args: #"["good"]"#))
            #expect(await eventually { sink.requests.values.count == 2 })
            #expect(sink.requests.values.last?.header.id != bad.header.id)
            await sink.close()
        }
    }

    @Test("replies are taken while a handler holds the one-at-a-time loop")
    func repliesDoNotWaitForHandlers() async throws {
        let released = Recorder<Bool>()
        let holding = Recorder<Bool>()
        try await withService(asker(released: released, holding: holding)) { harness in
            let sink = try await Sink(harness)
            _ = try await harness.request(harness.event("ask", args: #"["during a long handler"]"#))
            #expect(await eventually { sink.requests.values.count == 1 })
            let held = harness.event("hold")
            harness.client.publish(held)
            #expect(await eventually { !holding.values.isEmpty })
            sink.answer(try #require(sink.requests.values.first))
            #expect(await eventually { (try? await waiting(harness).isEmpty) == true })
            #expect(harness.replies(to: held.header.id).isEmpty, "the handler was still running")
            released.add(true)
            #expect(await eventually { !harness.replies(to: held.header.id).isEmpty })
            await sink.close()
        }
    }

    @Test("a restarted service sends what an earlier run left, with the same id")
    func restartResends() async throws {
        let first: Envelope
        let directory: String
        do {
            let harness = try await ServiceHarness(asker())
            let sink = try await Sink(harness)
            _ = try await harness.request(harness.event("ask", args: #"["survives"]"#))
            #expect(await eventually { !sink.requests.values.isEmpty })
            first = try #require(sink.requests.values.first)
            directory = harness.configuration.dataDirectory
            await sink.close()
            await harness.stop(removingFiles: false)
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let restarted = try await ServiceHarness(asker(), dataDirectory: directory)
        let sink = try await Sink(restarted)
        #expect(await eventually { !sink.requests.values.isEmpty })
        let again = try #require(sink.requests.values.first)
        #expect(again.header.id == first.header.id)
        #expect(again.body == first.body)
        #expect(again.header.from == restarted.configuration.instance)
        #expect(again.header.replyTo == Topic.inbox(restarted.configuration.instance))
        sink.answer(again)
        #expect(await eventually { (try? await waiting(restarted).isEmpty) == true })
        await sink.close()
        await restarted.stop()
    }
}
