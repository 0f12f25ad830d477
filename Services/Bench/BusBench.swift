import Bus
import Contracts
import Foundation
import Histogram
import Logging
import ServiceKit
import SwitchboardKit
import Synchronization

/// The bus path of `switchboard-bench bus`: a bus proxy on free loopback ports (unless external),
/// the `bench` service run by ``ServiceRuntime``, and a ``BusClient`` publishing by the delivery rules.
final class BusBench: Sendable {
    /// The route the `bench` service answers.
    static let route = Route(ns: "/", event: "ping")

    private let proxy: BusProxy?
    private let proxyTask: Task<Void, Never>?
    private let client: BusClient
    private let clientTask: Task<Void, Never>
    private let serviceTask: Task<Void, any Error>

    private let keyFolder: BusKeyFolder?

    /// Starts everything and returns once the client heard the service announce itself ready.
    /// With `curve`, the in-process bus has keys of its own (in a temporary folder, removed by
    /// ``shutdown()``): the client is an operator, the service `service:bench`.
    init(configuration: BusConnection.Configuration, external: Bool, curve: Bool, logger: Logger) async throws {
        var configuration = configuration
        var serviceBus = configuration
        if external {
            (proxy, proxyTask, keyFolder) = (nil, nil, nil)
        } else {
            var proxyConfiguration = BusProxy.Configuration()
            proxyConfiguration.frontend = "tcp://127.0.0.1:*"
            proxyConfiguration.backend = "tcp://127.0.0.1:*"
            keyFolder = curve ? BusKeyFolder(path: NSTemporaryDirectory() + "bench-keys-\(MessageID.make())") : nil
            if let keyFolder {
                try keyFolder.ensure([("bench-client", .operator), ("bench", .service("bench"))])
                proxyConfiguration.keyFolder = keyFolder.path
            }
            let proxy = try BusProxy(configuration: proxyConfiguration, logger: logger)
            configuration.publishEndpoint = proxy.boundEndpoints.frontend
            configuration.subscribeEndpoint = proxy.boundEndpoints.backend
            configuration.keys = keyFolder.map { .file($0.keyPath("bench-client")) } ?? .given(.plain)
            serviceBus = configuration
            serviceBus.keys = keyFolder.map { .file($0.keyPath("bench")) } ?? .given(.plain)
            (self.proxy, proxyTask) = (proxy, Task { await proxy.run() })
        }
        var clientConfiguration = BusClient.Configuration(instance: "bench-\(MessageID.shortSuffix())")
        clientConfiguration.bus = configuration
        let client = try BusClient(configuration: clientConfiguration, logger: logger)
        self.client = client
        clientTask = Task { await client.run() }
        var service = ServiceConfiguration(service: "bench")
        service.bus = serviceBus
        let runtime = try ServiceRuntime(definition: Self.definition, configuration: service, logger: logger)
        serviceTask = Task { try await runtime.run() }
        let ready = await client.waitUntil(timeout: .seconds(10)) {
            runtime.isReady && $0.directory.service(for: Self.route) != nil
        }
        guard ready else {
            await shutdown()
            throw BenchFailure(
                description: "the bench service was not ready within 10 s on \(configuration.publishEndpoint)")
        }
    }

    /// The `bench` service: `/ ping` acknowledges with its own arguments; no database, so
    /// the dedup store is bounded memory.
    static var definition: ServiceDefinition {
        var definition = ServiceDefinition(name: "bench")
        definition.on(route.ns, route.event) { event, _ in event.acknowledge(event.args) }
        return definition
    }

    /// Event number `index` from `instance`, asking for an ack, its reply sent to the instance's inbox.
    static func event(index: Int, instance: String) -> Envelope {
        var header = BusHeader(type: .event, from: instance)
        header.ns = route.ns
        header.event = route.event
        header.ack = true
        header.sid = "\(instance)-socket"
        header.replyTo = Topic.inbox(instance)
        return Envelope(topic: Topic.service("bench"), header: header, body: Data("[\(index)]".utf8))
    }

    /// `count` round trips with `inFlight` events waiting for their reply at once.
    func measure(count: Int, inFlight: Int) async -> RoundTripResult {
        let window = BusWindow(client: client, count: count)
        let start = ContinuousClock.now
        let (histogram, failed) = await window.run(inFlight: inFlight)
        return RoundTripResult(path: .bus, inFlight: inFlight, histogram: histogram,
                               seconds: milliseconds(since: start) / 1000, failed: failed)
    }

    /// Stops the client, the service and the proxy, in that order.
    func shutdown() async {
        await client.shutdown()
        await clientTask.value
        serviceTask.cancel()
        _ = await serviceTask.result
        proxy?.terminate()
        await proxyTask?.value
        if let keyFolder { try? FileManager.default.removeItem(atPath: keyFolder.path) }
    }
}

/// Why the benchmark could not run.
struct BenchFailure: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String
}

/// Keeps a fixed number of events waiting for their reply: each reply records its round trip
/// and sends the next event, until `count` replies (or failures) came back.
private final class BusWindow: Sendable {
    private struct State {
        var sent = 0
        var answered = 0
        var failed = 0
        var histogram = Histogram<UInt64>()
        var done: CheckedContinuation<Void, Never>?
    }

    private let client: BusClient
    private let count: Int
    private let state = Mutex(State())

    /// A window sending `count` events through `client`.
    init(client: BusClient, count: Int) {
        self.client = client
        self.count = count
    }

    /// Sends the first `inFlight` events and returns once every event is answered: the round
    /// trips of successful replies in microseconds, and the number of failures.
    func run(inFlight: Int) async -> (Histogram<UInt64>, failed: Int) {
        guard count > 0 else { return (Histogram(), 0) }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            state.withLock { $0.done = done }
            for _ in 0..<min(inFlight, count) { sendNext() }
        }
        return state.withLock { ($0.histogram, $0.failed) }
    }

    /// Sends the next event, if any is left; never holds the lock while sending, since a
    /// refused event completes at once.
    private func sendNext() {
        let next = state.withLock { state -> Int? in
            guard state.sent < count else { return nil }
            state.sent += 1
            return state.sent - 1
        }
        guard let index = next else { return }
        let event = BusBench.event(index: index, instance: client.instance)
        let start = ContinuousClock.now
        client.send(event, route: BusBench.route) { [self] result in
            finished(result, microseconds: UInt64(milliseconds(since: start) * 1000))
        }
    }

    /// Records one outcome, then sends the next event or ends the run.
    private func finished(_ result: Result<Envelope, DeliveryFailure>, microseconds: UInt64) {
        let done = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if case .success(let reply) = result, reply.header.error == nil {
                state.histogram.record(microseconds)
            } else {
                state.failed += 1
            }
            state.answered += 1
            guard state.answered == count else { return nil }
            defer { state.done = nil }
            return state.done
        }
        if let done { done.resume() } else { sendNext() }
    }
}
