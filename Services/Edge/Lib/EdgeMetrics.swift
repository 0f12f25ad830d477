import CoreMetrics
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The edge's metrics, exposed at `GET /metrics` in Prometheus' text format.
///
/// | metric | kind | labels |
/// | --- | --- | --- |
/// | `switchboard_edge_engine_connections` | gauge | `transport` |
/// | `switchboard_edge_upgrades_total` | counter | |
/// | `switchboard_edge_sockets` | gauge | `namespace` |
/// | `switchboard_edge_connections_refused_total` | counter | `namespace`, `reason` |
/// | `switchboard_edge_events_in_total` | counter | `event` |
/// | `switchboard_edge_events_out_total` | counter | `event` (one per socket reached) |
/// | `switchboard_edge_instructions_total` | counter | `op` |
/// | `switchboard_edge_delivery_failures_total` | counter | `code` |
/// | `switchboard_edge_pending_events` | gauge | |
/// | `switchboard_edge_bus_round_trip_seconds` | histogram | |
/// | `switchboard_edge_http_requests_total` | counter | `route` (the announced route, or `none`), `status` |
final class EdgeMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Counters already made, by label and then by their dimensions' values: making one takes
    /// the registry's lock and checks the name, too much once per event.
    private let counters = Mutex([String: [[String]: CoreMetrics.Counter]]())
    /// Counters of one dimension, by label and then by its value: found without building a key
    /// (the per-event ones: events in and out, delivery failures).
    private let singles = Mutex([String: [String: CoreMetrics.Counter]]())
    /// `switchboard_edge_instructions_total` by op, made at once: counted per instruction, with no lock.
    private let instructions: [String: CoreMetrics.Counter]
    /// Made once, for the same reason.
    private let pending: CoreMetrics.Gauge
    private let roundTrip: Metrics.Timer
    /// Live Engine.IO connections and Socket.IO sockets, for `/health`.
    private let connections = Atomic<Int>(0)
    private let sockets = Atomic<Int>(0)

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        instructions = Dictionary(uniqueKeysWithValues: ["emit", "ack", "join", "leave", "disconnect", "accept", "reject"]
            .map { op in
                (op, CoreMetrics.Counter(label: "switchboard_edge_instructions_total", dimensions: [("op", op)],
                                         factory: factory))
            })
        pending = CoreMetrics.Gauge(label: "switchboard_edge_pending_events", factory: factory)
        roundTrip = Metrics.Timer(label: "switchboard_edge_bus_round_trip_seconds", factory: factory)
    }

    /// The text exposition of every metric.
    func exposition() -> String { registry.emitToString() }

    /// Live Engine.IO connections now.
    var connectionCount: Int { connections.load(ordering: .relaxed) }

    /// Live Socket.IO sockets now.
    var socketCount: Int { sockets.load(ordering: .relaxed) }

    func engineOpened(transport: String) {
        connections.add(1, ordering: .relaxed)
        meter("switchboard_edge_engine_connections", ("transport", transport)).increment()
    }

    func engineClosed(transport: String) {
        connections.subtract(1, ordering: .relaxed)
        meter("switchboard_edge_engine_connections", ("transport", transport)).decrement()
    }

    func engineUpgraded() {
        meter("switchboard_edge_engine_connections", ("transport", "polling")).decrement()
        meter("switchboard_edge_engine_connections", ("transport", "websocket")).increment()
        counter("switchboard_edge_upgrades_total").increment()
    }

    func socketConnected(namespace: String) {
        sockets.add(1, ordering: .relaxed)
        meter("switchboard_edge_sockets", ("namespace", namespace)).increment()
    }

    func socketDisconnected(namespace: String) {
        sockets.subtract(1, ordering: .relaxed)
        meter("switchboard_edge_sockets", ("namespace", namespace)).decrement()
    }

    func connectionRefused(namespace: String, reason: String) {
        counter("switchboard_edge_connections_refused_total", ("namespace", namespace), ("reason", reason)).increment()
    }

    func eventIn(_ event: String) { counter("switchboard_edge_events_in_total", "event", event).increment() }

    func eventOut(_ event: String, sockets: Int) {
        counter("switchboard_edge_events_out_total", "event", event).increment(by: sockets)
    }

    func instructionApplied(_ op: String) {
        (instructions[op] ?? counter("switchboard_edge_instructions_total", "op", op)).increment()
    }

    func deliveryFailed(_ code: String) { counter("switchboard_edge_delivery_failures_total", "code", code).increment() }

    /// One plain HTTP request answered: its route (`none` when no route matched) and status.
    func httpRequest(route: String, status: Int) {
        counter("switchboard_edge_http_requests_total", ("route", route), ("status", String(status))).increment()
    }

    func pendingEvents(_ count: Int) { pending.record(count) }

    func busRoundTrip(since start: NIODeadline) { roundTrip.recordNanoseconds((NIODeadline.now() - start).nanoseconds) }

    private func counter(_ label: String, _ dimensions: (String, String)...) -> CoreMetrics.Counter {
        let values = dimensions.map(\.1)
        return counters.withLock { counters in
            if let counter = counters[label]?[values] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            counters[label, default: [:]][values] = counter
            return counter
        }
    }

    /// The counter of `label` whose one dimension `key` is `value`.
    private func counter(_ label: String, _ key: String, _ value: String) -> CoreMetrics.Counter {
        singles.withLock { singles in
            if let counter = singles[label]?[value] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: [(key, value)], factory: factory)
            singles[label, default: [:]][value] = counter
            return counter
        }
    }

    private func meter(_ label: String, _ dimensions: (String, String)...) -> Meter {
        Meter(label: label, dimensions: dimensions, factory: factory)
    }
}
