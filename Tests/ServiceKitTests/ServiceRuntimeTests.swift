import Bus
import Contracts
import Foundation
import ServiceKit
import Synchronization
import Testing

/// Something `Sendable` to note values in from handlers, completions and tasks.
final class Recorder<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func add(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
    /// Appends `value` and returns how many values there are now.
    func addCounting(_ value: Value) -> Int { storage.withLock { $0.append(value); return $0.count } }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 10, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// An in-process bus, a running ``ServiceRuntime`` on it, and a client with a ``DeliveryClient``
/// wired by hand (it records every message it receives: hellos, replies on its inbox, and what
/// is published on `edge`, its subscriptions live before the runtime starts).
final class ServiceHarness: Sendable {
    let name: String
    let proxy: BusProxy
    let runtime: ServiceRuntime
    let configuration: ServiceConfiguration
    let client: BusConnection
    let delivery: DeliveryClient
    /// Everything the client received (hellos and replies).
    let received = Recorder<Envelope>()
    let inbox = Topic.inbox("test-client")
    private let proxyStopped = Recorder<Bool>()
    private let runtimeStopped = Recorder<Bool>()
    private let tasks: [Task<Void, Never>]

    var databasePath: String { "\(configuration.dataDirectory)/\(name).sqlite" }

    init(_ definition: ServiceDefinition, dataDirectory: String? = nil, helloIntervalMilliseconds: Int = 200)
        async throws
    {
        name = definition.name
        var proxyConfiguration = BusProxy.Configuration()
        proxyConfiguration.frontend = "tcp://127.0.0.1:*"
        proxyConfiguration.backend = "tcp://127.0.0.1:*"
        let proxy = try BusProxy(configuration: proxyConfiguration, logger: quietLogger)
        self.proxy = proxy
        var configuration = ServiceConfiguration(service: definition.name)
        configuration.bus.publishEndpoint = proxy.boundEndpoints.frontend
        configuration.bus.subscribeEndpoint = proxy.boundEndpoints.backend
        configuration.dataDirectory = dataDirectory ?? temporaryDirectory()
        configuration.helloIntervalMilliseconds = helloIntervalMilliseconds
        self.configuration = configuration
        let runtime = try ServiceRuntime(definition: definition, configuration: configuration, logger: quietLogger)
        self.runtime = runtime
        client = try BusConnection(configuration: configuration.bus, logger: quietLogger)
        client.subscribe(.exact(Topic.hello))
        client.subscribe(.exact(inbox))
        client.subscribe(.exact(Topic.edge))
        var bounds = PendingTable<DeliveryClient.Completion>.Configuration()
        bounds.retryIntervalMilliseconds = 200
        bounds.maxAgeMilliseconds = 10_000
        let delivery = DeliveryClient(connection: client, configuration: bounds, logger: quietLogger)
        self.delivery = delivery
        let (client, received, proxyStopped, runtimeStopped) = (client, received, proxyStopped, runtimeStopped)
        #expect(!runtime.isReady)
        let proxyTask = Task { await proxy.run(); proxyStopped.add(true) }
        let readTask = Task {
            for await envelope in client.messages { received.add(envelope); delivery.receive(envelope) }
        }
        // The client's subscriptions are live once its own probe on `edge` comes back: from then
        // on it hears everything the runtime publishes, from its first message.
        let probe = Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: "test-client"), body: Data("[]".utf8))
        try #require(await eventually {
            client.publish(probe)
            return received.values.contains { $0.header.id == probe.header.id }
        })
        tasks = [
            proxyTask,
            Task {
                do { try await runtime.run() } catch { Issue.record("the runtime failed: \(error)") }
                runtimeStopped.add(true)
            },
            readTask,
            // The delivery clock, by hand: the harness reads every reply itself, duplicates included,
            // which a BusClient (that takes its inbox's replies) would not show it.
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(50))
                    delivery.tick()
                }
            },
        ]
        try #require(await eventually { runtime.isReady })
        try #require(await eventually { delivery.directory.isAvailable(definition.name) })
    }

    /// An event for this service, answered on the client's inbox.
    func event(_ name: String, args: String = "[]", id: String = MessageID.make()) -> Envelope {
        var header = BusHeader(type: .event, from: "test-client", id: id)
        header.ns = "/"
        header.event = name
        header.sid = "sid-1"
        header.edge = "edge-1"
        header.ack = true
        header.replyTo = inbox
        return Envelope(topic: Topic.service(self.name), header: header, body: Data(args.utf8))
    }

    func request(_ event: Envelope) async throws -> Envelope {
        try await delivery.request(event, service: name)
    }

    func replies(to id: String) -> [Envelope] {
        received.values.filter { $0.header.type == .reply && $0.header.re == id }
    }

    /// Cancels the runtime (which must stop), closes the client, stops the bus, removes the files.
    func stop(removingFiles: Bool = true) async {
        tasks[3].cancel()
        tasks[1].cancel()
        #expect(await eventually { runtimeStopped.values == [true] }, "the runtime did not stop when cancelled")
        await client.close()
        proxy.terminate()
        #expect(await eventually { proxyStopped.values == [true] })
        if removingFiles { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
    }
}

/// Runs `body` with a harness for `definition`, always stopping it.
func withService(_ definition: ServiceDefinition, _ body: (ServiceHarness) async throws -> Void) async throws {
    let harness = try await ServiceHarness(definition)
    do {
        try await body(harness)
    } catch {
        await harness.stop()
        throw error
    }
    await harness.stop()
}

@Suite("ServiceRuntime end to end", .serialized)
struct ServiceRuntimeTests {
    static func calculator(invocations: Recorder<String>) -> ServiceDefinition {
        var definition = ServiceDefinition(name: "calc")
        definition.on("/", "add") { event, _ in
            let count = invocations.addCounting(event.header.id)
            let sum = event.args.compactMap(\.intValue).reduce(0, +)
            return event.acknowledge([.int(sum), .int(Int64(count))])
        }
        definition.on("/", "fail") { event, _ in
            invocations.add(event.header.id)
            struct Deliberate: Error {}
            throw Deliberate()
        }
        return definition
    }

    @Test("the runtime becomes ready after hearing its own hello, and announces its routes")
    func becomesReady() async throws {
        try await withService(Self.calculator(invocations: Recorder())) { harness in
            #expect(harness.runtime.isReady)
            let hellos = harness.received.values.filter { $0.topic == Topic.hello }
                .compactMap { try? $0.decodeBody(as: Hello.self) }
                .filter { $0.instance == harness.configuration.instance }
            let ready = try #require(hellos.first { $0.ready })
            #expect(ready.service == "calc")
            #expect(ready.handles == [Route(ns: "/", event: "add"), Route(ns: "/", event: "fail")])
            #expect(ready.life.isEmpty)
            #expect(ready.interval == 200)
            #expect(harness.delivery.directory.service(for: Route(ns: "/", event: "add")) == "calc")
        }
    }

    @Test("an event gets the handler's reply")
    func reply() async throws {
        let invocations = Recorder<String>()
        try await withService(Self.calculator(invocations: invocations)) { harness in
            var event = harness.event("add", args: "[1, 2, 39]")
            event.header.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            let reply = try await harness.request(event)
            #expect(reply.header.traceparent == event.header.traceparent)
            #expect(reply.attachments.isEmpty)
            #expect(reply.topic == harness.inbox)
            #expect(reply.header.type == .reply)
            #expect(reply.header.re == event.header.id)
            #expect(reply.header.from == harness.configuration.instance)
            #expect(reply.header.error == nil)
            #expect(reply.header.ns == "/")
            #expect(reply.header.event == "add")
            #expect(reply.header.sid == "sid-1")
            #expect(reply.header.edge == "edge-1")
            #expect(try reply.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [42, 1]))])
            #expect(invocations.values == [event.header.id])
        }
    }

    @Test("the same event id delivered twice runs the handler once; both replies are the same")
    func deduplicates() async throws {
        let invocations = Recorder<String>()
        try await withService(Self.calculator(invocations: invocations)) { harness in
            // A first request proves both directions of the bus are subscribed.
            _ = try await harness.request(harness.event("add", args: "[0]"))
            let event = harness.event("add", args: "[5]")
            harness.client.publish(event)
            harness.client.publish(event)
            #expect(await eventually { harness.replies(to: event.header.id).count == 2 })
            let replies = harness.replies(to: event.header.id)
            #expect(replies.count == 2)
            #expect(replies.map(\.body) == [replies[0].body, replies[0].body])
            #expect(try replies[0].decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [5, 2]))])
            // Later, once more through the delivery client: still answered from the store.
            let again = try await harness.request(event)
            #expect(again.body == replies[0].body)
            #expect(invocations.values.filter { $0 == event.header.id }.count == 1)
            #expect(invocations.values.count == 2)
        }
    }

    @Test("failures are answered with their error code; error replies are not remembered",
          arguments: [("nothing-handles-this", "[]", "UNKNOWN_EVENT"), ("add", #"{"a":1}"#, "BAD_REQUEST"),
                      ("add", #""text""#, "BAD_REQUEST"), ("fail", "[]", "INTERNAL_ERROR")])
    func errors(name: String, args: String, code: String) async throws {
        let invocations = Recorder<String>()
        try await withService(Self.calculator(invocations: invocations)) { harness in
            let event = harness.event(name, args: args)
            let reply = try await harness.request(event)
            #expect(reply.header.error == code)
            #expect(reply.header.re == event.header.id)
            #expect(try reply.decodeBody(as: [Instruction].self) == [])
            let again = try await harness.request(event)
            #expect(again.header.error == code)
            // Nothing was done, so a repeat tries again: the throwing handler runs each time.
            #expect(invocations.values == (code == "INTERNAL_ERROR" ? [event.header.id, event.header.id] : []))
        }
    }
}
