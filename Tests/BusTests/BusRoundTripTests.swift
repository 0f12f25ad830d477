import Bus
import Contracts
import Foundation
import Logging
import Synchronization
import Testing

// MARK: - Helpers shared by the tests that use a real bus

/// A logger that prints nothing: malformed messages are logged by design.
let quietLogger = Logger(label: "bus-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Calls `send` every 100 ms until `condition` holds (PUB/SUB subscriptions propagate
/// asynchronously, so the first messages may be dropped), for at most 10 s.
func repeatUntil(_ send: () throws -> Void, _ condition: () -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        try send()
        if await eventually(within: 0.1, { condition() }) { return true }
    }
    return condition()
}

/// Something `Sendable` to note values in from completions and tasks.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func add(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}

/// Collects every message a connection receives.
final class Collector: Sendable {
    private let received = Recorder<Envelope>()

    init(_ connection: BusConnection) {
        Task { [received] in
            for await envelope in connection.messages { received.add(envelope) }
        }
    }

    var all: [Envelope] { received.values }
    func with(id: String) -> [Envelope] { all.filter { $0.header.id == id } }
    func contains(id: String) -> Bool { !with(id: id).isEmpty }
}

/// An in-process bus on ephemeral loopback ports.
final class TestBus: Sendable {
    let proxy: BusProxy
    private let stopped = Mutex(false)

    init() throws {
        var configuration = BusProxy.Configuration()
        configuration.frontend = "tcp://127.0.0.1:*"
        configuration.backend = "tcp://127.0.0.1:*"
        proxy = try BusProxy(configuration: configuration, logger: quietLogger)
        Task { [self] in
            await proxy.run()
            stopped.withLock { $0 = true }
        }
    }

    var connectionConfiguration: BusConnection.Configuration {
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = proxy.boundEndpoints.frontend
        configuration.subscribeEndpoint = proxy.boundEndpoints.backend
        return configuration
    }

    func connect(_ subscriptions: Subscription...) throws -> BusConnection {
        let connection = try BusConnection(configuration: connectionConfiguration, logger: quietLogger)
        subscriptions.forEach(connection.subscribe)
        return connection
    }

    /// Closes `connections`, terminates the proxy and reports whether `run()` returned.
    func stop(closing connections: [BusConnection]) async -> Bool {
        for connection in connections { await connection.close() }
        proxy.terminate()
        return await eventually { stopped.withLock { $0 } }
    }
}

func message(_ topic: String, id: String = MessageID.make(), type: MessageType = .emit,
             body: String = "[]", attachments: [Data] = []) -> Envelope
{
    Envelope(topic: topic, header: BusHeader(type: type, from: "test", id: id), body: Data(body.utf8),
             attachments: attachments)
}

// MARK: - Tests

@Suite("Bus round trip", .serialized)
struct BusRoundTripTests {
    @Test("the proxy binds ephemeral ports and stops on terminate")
    func proxyEndpoints() async throws {
        let bus = try TestBus()
        #expect(bus.proxy.boundEndpoints.frontend.hasPrefix("tcp://127.0.0.1:"))
        #expect(bus.proxy.boundEndpoints.backend.hasPrefix("tcp://127.0.0.1:"))
        #expect(!bus.proxy.boundEndpoints.frontend.hasSuffix(":*"))
        #expect(bus.proxy.boundEndpoints.frontend != bus.proxy.boundEndpoints.backend)
        #expect(await bus.stop(closing: []))
    }

    @Test("a published message reaches a subscriber unchanged")
    func publishSubscribe() async throws {
        let bus = try TestBus()
        let publisher = try bus.connect()
        let subscriber = try bus.connect(.exact("news"))
        let inbox = Collector(subscriber)
        let sent = message("news", body: #"[{"args":["hé 🌍"],"op":"ack","sid":"s"}]"#)
        #expect(await repeatUntil({ publisher.publish(sent) }, { inbox.contains(id: sent.header.id) }))
        #expect(inbox.all.allSatisfy { $0 == sent })
        #expect(publisher.statistics.published >= 1)
        #expect(subscriber.statistics.received >= 1)
        #expect(subscriber.statistics.malformed == 0)
        #expect(await bus.stop(closing: [publisher, subscriber]))
    }

    @Test(".exact does not deliver longer topics; .prefix does")
    func exactVersusPrefix() async throws {
        let bus = try TestBus()
        let publisher = try bus.connect()
        let exact = try bus.connect(.exact("edge"))
        let prefix = try bus.connect(.prefix("edge"))
        let exactInbox = Collector(exact)
        let prefixInbox = Collector(prefix)
        let warmUp = message("edge")
        #expect(await repeatUntil({ publisher.publish(warmUp) },
                                  { exactInbox.contains(id: warmUp.header.id) && prefixInbox.contains(id: warmUp.header.id) }))
        // Both subscriptions are live; one publisher's messages arrive in order.
        let other = message("edge.x")
        let last = message("edge")
        publisher.publish(other)
        publisher.publish(last)
        #expect(await eventually { exactInbox.contains(id: last.header.id) && prefixInbox.contains(id: last.header.id) })
        #expect(!exactInbox.contains(id: other.header.id))
        #expect(exactInbox.all.allSatisfy { $0.topic == "edge" })
        #expect(prefixInbox.with(id: other.header.id) == [other])
        #expect(await bus.stop(closing: [publisher, exact, prefix]))
    }

    @Test("binary attachments survive the bus byte for byte")
    func attachments() async throws {
        let bus = try TestBus()
        let publisher = try bus.connect()
        let subscriber = try bus.connect(.prefix("svc."))
        let inbox = Collector(subscriber)
        let bytes = Data((0...255).map { UInt8($0) })
        let sent = message("svc.files", type: .event,
                           body: #"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                           attachments: [bytes, Data(bytes.reversed())])
        #expect(await repeatUntil({ publisher.publish(sent) }, { inbox.contains(id: sent.header.id) }))
        let received = try #require(inbox.with(id: sent.header.id).first)
        #expect(received == sent)
        #expect(received.attachments.map(\.count) == [256, 256])
        #expect(received.attachments[1].first == 0xFF)
        #expect(await bus.stop(closing: [publisher, subscriber]))
    }

    @Test("malformed messages are counted and dropped; later good messages still arrive")
    func malformedCounted() async throws {
        let bus = try TestBus()
        let subscriber = try bus.connect(.exact("raw"))
        let inbox = Collector(subscriber)
        let context = ZMQContext()
        let raw = try ZMQSocket(context: context, type: .pub)
        var options = SocketOptions()
        options.lingerMilliseconds = 0
        try options.apply(to: raw)
        try raw.connect(bus.proxy.boundEndpoints.frontend)
        let probe = message("raw")
        #expect(try await repeatUntil({ try raw.send(probe.encode()) }, { inbox.contains(id: probe.header.id) }))
        #expect(subscriber.statistics.malformed == 0)

        let topic = Data("raw".utf8)
        let header = message("raw").encode()[1]
        let malformed: [[Data]] = [
            [topic, header],                                                  // two frames
            [topic, Data("not json".utf8), Data("[]".utf8)],                  // bad header
            [topic, Data(#"{"v":2,"id":"x"}"#.utf8), Data("[]".utf8)],        // future version
        ]
        for frames in malformed { try raw.send(frames) }
        // A body is not the bus's to read: it arrives, and its consumer's one parse refuses it.
        let brokenBody = message("raw")
        var brokenFrames = brokenBody.encode()
        brokenFrames[2] = Data("{broken".utf8)
        try raw.send(brokenFrames)
        // A topic libzmq's prefix lets through but `.exact` does not want is skipped unread, not counted.
        try raw.send([Data("raw.other".utf8), Data("not json".utf8), Data("[]".utf8)])
        let after = message("raw")
        try raw.send(after.encode())
        #expect(await eventually { inbox.contains(id: after.header.id) })
        #expect(subscriber.statistics.malformed == malformed.count)
        #expect(inbox.with(id: after.header.id) == [after])
        let broken = inbox.with(id: brokenBody.header.id)
        #expect(broken.count == 1 && broken.first?.body == Data("{broken".utf8))
        #expect(throws: EnvelopeError.self) { try broken.first?.decodeBody(as: [JSON].self) }
        #expect(inbox.all.allSatisfy { [probe.header.id, brokenBody.header.id, after.header.id].contains($0.header.id) })
        raw.close()
        context.terminate()
        #expect(await bus.stop(closing: [subscriber]))
    }

    @Test("past receiveBufferLimit newer messages are dropped and counted; the oldest are kept")
    func receiveBufferLimit() async throws {
        let bus = try TestBus()
        let publisher = try bus.connect()
        var configuration = bus.connectionConfiguration
        configuration.receiveBufferLimit = 3
        let subscriber = try BusConnection(configuration: configuration, logger: quietLogger)
        subscriber.subscribe(.exact("burst"))
        // Nobody reads yet: the statistics show when the subscription is live.
        var probes = 0
        #expect(await repeatUntil({
            probes += 1
            publisher.publish(message("burst", id: "probe-\(probes)"))
        }, { subscriber.statistics.received >= 1 }))
        let burst = (0..<10).map { message("burst", id: "burst-\($0)") }
        burst.forEach(publisher.publish)
        // At least one probe and the ten messages arrive: every arrival is received or dropped.
        #expect(await eventually { subscriber.statistics.received + subscriber.statistics.dropped >= 11 })
        let statistics = subscriber.statistics
        #expect(statistics.received == 3)
        #expect(statistics.dropped >= 8)
        await subscriber.close()
        var kept: [String] = []
        for await envelope in subscriber.messages { kept.append(envelope.header.id) }
        // The oldest three arrivals stay: probes first, then the start of the burst, in order.
        #expect(kept.count == 3)
        let keptProbes = kept.prefix { $0.hasPrefix("probe-") }
        let keptBurst = Array(kept.dropFirst(keptProbes.count))
        #expect(!keptProbes.isEmpty)
        #expect(keptBurst == Array(["burst-0", "burst-1", "burst-2"].prefix(keptBurst.count)))
        #expect(await bus.stop(closing: [publisher]))
    }

    @Test("a malformed endpoint or a port already bound is a ZMQError")
    func endpointErrors() async throws {
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = "bogus://nowhere"
        #expect(throws: ZMQError.self) { _ = try BusConnection(configuration: configuration, logger: quietLogger) }
        let bus = try TestBus()
        var taken = BusProxy.Configuration()
        taken.frontend = bus.proxy.boundEndpoints.frontend
        taken.backend = "tcp://127.0.0.1:*"
        #expect(throws: ZMQError.self) { _ = try BusProxy(configuration: taken, logger: quietLogger) }
        #expect(await bus.stop(closing: []))
    }

    @Test("close ends the message stream")
    func closeEndsStream() async throws {
        let bus = try TestBus()
        let connection = try bus.connect(.exact("x"))
        let ended = Recorder<Bool>()
        Task {
            for await _ in connection.messages {}
            ended.add(true)
        }
        await connection.close()
        #expect(await eventually { ended.values == [true] })
        // Closing again returns at once; publishing after close is ignored.
        await connection.close()
        connection.publish(message("x"))
        #expect(connection.statistics.published == 0)
        #expect(await bus.stop(closing: []))
    }
}
