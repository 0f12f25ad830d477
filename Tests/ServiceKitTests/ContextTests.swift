import Contracts
import Foundation
import GRDB
import Logging
import ServiceKit
import Testing

let quietLogger = Logger(label: "servicekit-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A database with a `work` table, in a fresh temporary folder.
private func workDatabase() throws -> (pool: DatabasePool, directory: String) {
    let directory = temporaryDirectory()
    let pool = try ServiceDatabase.open(directory: directory, service: "worker") { migrator in
        migrator.registerMigration("worker.1") { db in
            try db.execute(sql: "CREATE TABLE work (id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL)")
        }
    }
    return (pool, directory)
}

private func workCount(_ pool: DatabasePool) async throws -> Int {
    try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM work") ?? -1 }
}

private func handledCount(_ pool: DatabasePool) async throws -> Int {
    try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_handled") ?? -1 }
}

private struct Deliberate: Error {}

@Suite("Context and Event")
struct ContextTests {
    @Test("write commits the work and the reply together")
    func writeStoresReply() async throws {
        let (pool, directory) = try workDatabase()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = Context(logger: quietLogger, instance: "worker-1", database: pool, eventID: "event-1")
        let expected: [Instruction] = [.ack(Ack(sid: "s1", args: [["done": true]]))]
        let instructions = try await context.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES (?)", arguments: ["first"])
            return expected
        }
        #expect(instructions == expected)
        #expect(try await workCount(pool) == 1)
        let stored = try #require(try await SQLiteDedupStore(writer: pool).reply(for: "event-1"))
        #expect(stored.error == nil)
        #expect(try JSONCoding.decode([Instruction].self, from: stored.body) == expected)
        #expect(stored.body == (try JSONCoding.encode(expected)))
    }

    @Test("when the body throws, neither the work nor the reply is stored")
    func writeRollsBack() async throws {
        let (pool, directory) = try workDatabase()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = Context(logger: quietLogger, instance: "worker-1", database: pool, eventID: "event-2")
        await #expect(throws: Deliberate.self) {
            _ = try await context.write { db in
                try db.execute(sql: "INSERT INTO work (item) VALUES (?)", arguments: ["half-done"])
                throw Deliberate()
            }
        }
        #expect(try await workCount(pool) == 0)
        #expect(try await SQLiteDedupStore(writer: pool).reply(for: "event-2") == nil)
        #expect(try await handledCount(pool) == 0)
        // A failing SQL statement rolls back as well.
        await #expect(throws: (any Error).self) {
            _ = try await context.write { db in
                try db.execute(sql: "INSERT INTO work (item) VALUES (?)", arguments: ["x"])
                try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
                return []
            }
        }
        #expect(try await workCount(pool) == 0)
        #expect(try await handledCount(pool) == 0)
    }

    @Test("write without an event id does the work and stores no reply")
    func writeWithoutEventID() async throws {
        let (pool, directory) = try workDatabase()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = Context(logger: quietLogger, instance: "worker-1", database: pool, eventID: nil)
        let instructions = try await context.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('life')")
            return []
        }
        #expect(instructions.isEmpty)
        #expect(try await workCount(pool) == 1)
        #expect(try await handledCount(pool) == 0)
    }

    @Test("write without a database throws noDatabase")
    func writeWithoutDatabase() async {
        let context = Context(logger: quietLogger, instance: "worker-1", database: nil, eventID: "e")
        let ran = Recorder<Bool>()
        await #expect(throws: Context.Failure.noDatabase) {
            _ = try await context.write { _ in
                ran.add(true)
                return []
            }
        }
        #expect(ran.values.isEmpty)
        #expect(context.database == nil)
        #expect(context.instance == "worker-1")
    }

    @Test("emit hands the instructions, attachments and trace context to the publisher")
    func emit() {
        let sink = Recorder<([Instruction], [Data], String?)>()
        let context = Context(logger: quietLogger, instance: "w", database: nil, eventID: nil,
                              traceparent: "00-trace-span-01") { instructions, attachments, traceparent in
            sink.add((instructions, attachments, traceparent))
        }
        let instructions: [Instruction] = [.join(Membership(ns: "/", rooms: ["r"], sids: ["s"]))]
        context.emit(instructions)
        context.emit([], attachments: [Data([9])])
        let sent = sink.values
        #expect(sent.count == 2)
        #expect(sent.first?.0 == instructions)
        #expect(sent.first?.1 == [])
        #expect(sent.first?.2 == "00-trace-span-01")
        #expect(sent.last?.1 == [Data([9])])
    }

    @Test("attach numbers attachments in order and returns their placeholders")
    func attach() {
        let context = Context(logger: quietLogger, instance: "w", database: nil, eventID: "e")
        #expect(context.attach(Data([1])) == ["_placeholder": true, "num": 0])
        #expect(context.attach(Data([2])) == ["_placeholder": true, "num": 1])
        #expect(context.attach(Data()).jsonText == #"{"_placeholder":true,"num":2}"#)
    }

    @Test("write stores the attachments made before it with the reply")
    func writeStoresAttachments() async throws {
        let (pool, directory) = try workDatabase()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let context = Context(logger: quietLogger, instance: "worker-1", database: pool, eventID: "event-3")
        let bytes = Data((0...255).map { UInt8($0) })
        let placeholder = context.attach(bytes)
        _ = try await context.write { db in
            try db.execute(sql: "INSERT INTO work (item) VALUES ('file')")
            return [.ack(Ack(sid: "s", args: [placeholder]))]
        }
        let stored = try #require(try await SQLiteDedupStore(writer: pool).reply(for: "event-3"))
        #expect(stored.attachments == [bytes])
        #expect(String(decoding: stored.body, as: UTF8.self)
            == #"[{"args":[{"_placeholder":true,"num":0}],"op":"ack","sid":"s"}]"#)
    }

    @Test("acknowledge gives nothing when no ack was asked, and an ack to the sid otherwise")
    func acknowledge() {
        var header = BusHeader(type: .event, from: "edge-1")
        header.sid = "s1"
        #expect(Event(header: header, args: []).acknowledge(["x"]).isEmpty)
        header.ack = false
        #expect(Event(header: header, args: []).acknowledge(["x"]).isEmpty)
        header.ack = true
        #expect(Event(header: header, args: []).acknowledge(["x", 1]) == [.ack(Ack(sid: "s1", args: ["x", 1]))])
        // An ack without a socket to answer is nothing.
        header.sid = nil
        #expect(Event(header: header, args: []).acknowledge(["x"]).isEmpty)
    }

    @Test("event accessors read the header")
    func eventAccessors() {
        var header = BusHeader(type: .event, from: "edge-1")
        header.event = "send"
        header.sid = "s9"
        header.user = Identity(id: "42", role: "USER")
        let event = Event(header: header, args: [1], attachments: [Data([1, 2])])
        #expect(event.route == Route(ns: "/", event: "send"))
        #expect(event.sid == "s9")
        #expect(event.user == Identity(id: "42", role: "USER"))
        #expect(!event.wantsAck)
        #expect(event.args == [1])
        #expect(event.attachments == [Data([1, 2])])
        header.ns = "/user"
        #expect(Event(header: header, args: []).route == Route(ns: "/user", event: "send"))
    }

    @Test("a definition keeps its handlers by route")
    func definition() {
        var definition = ServiceDefinition(name: "chat")
        definition.on("/", "send") { _, _ in [] }
        definition.on("/user", "typing") { _, _ in [] }
        definition.onLife(.connected) { _, _ in [] }
        #expect(definition.name == "chat")
        #expect(Set(definition.handlers.keys) == [Route(ns: "/", event: "send"), Route(ns: "/user", event: "typing")])
        #expect(Array(definition.lifeHandlers.keys) == [.connected])
        #expect(definition.migrations == nil)
    }

    @Test("configuration defaults and environment")
    func configuration() {
        let defaults = ServiceConfiguration(service: "chat")
        #expect(defaults.instance.hasPrefix("chat-"))
        #expect(defaults.instance.count == "chat-".count + 6)
        #expect(defaults.helloIntervalMilliseconds == 1000)
        #expect(defaults.dataDirectory == "data")
        let configured = ServiceConfiguration(service: "chat", environment: [
            "SERVICE_INSTANCE": "chat-x", "BUS_PUBLISH": "tcp://h:1", "BUS_SUBSCRIBE": "tcp://h:2",
            "SWITCHBOARD_DATA": "/tmp/d", "HELLO_INTERVAL_MS": "250", "DEDUP_CAPACITY": "5", "LOG_LEVEL": "debug",
        ])
        #expect(configured.instance == "chat-x")
        #expect(configured.bus.publishEndpoint == "tcp://h:1")
        #expect(configured.bus.subscribeEndpoint == "tcp://h:2")
        #expect(configured.dataDirectory == "/tmp/d")
        #expect(configured.helloIntervalMilliseconds == 250)
        #expect(configured.dedupCapacity == 5)
        #expect(configured.logLevel == .debug)
    }
}
