import Contracts
import Foundation

/// The figures of one second, per service: events, event→reply latencies, failures (error
/// replies and events left unanswered).
struct SecondFigures {
    private struct Service {
        var events = 0
        var latencies: [Double] = []
        var failures = 0
    }

    private var services: [String: Service] = [:]

    /// An event for `service`.
    mutating func event(service: String) {
        services[service, default: Service()].events += 1
    }

    /// A reply from `service` after `milliseconds`; `failed` when it names an error.
    mutating func reply(service: String, milliseconds: Double, failed: Bool) {
        services[service, default: Service()].latencies.append(milliseconds)
        if failed { services[service, default: Service()].failures += 1 }
    }

    /// An event of `service` that got no reply in time.
    mutating func unanswered(service: String) {
        services[service, default: Service()].failures += 1
    }

    /// The second as the page plots it:
    /// `{t, services: {NAME: {events, p50, p99, failures}}, connections: {EDGE: N}}`.
    func close(at now: Int64, connections: [String: Int]) -> JSON {
        var perService: [String: JSON] = [:]
        for (name, figures) in services {
            var object: [String: JSON] = ["events": .int(Int64(figures.events)),
                                          "failures": .int(Int64(figures.failures))]
            if !figures.latencies.isEmpty {
                let sorted = figures.latencies.sorted()
                object["p50"] = .double(Self.quantile(sorted, 0.5))
                object["p99"] = .double(Self.quantile(sorted, 0.99))
            }
            perService[name] = .object(object)
        }
        return .object([
            "t": .int(now),
            "services": .object(perService),
            "connections": .object(connections.mapValues { .int(Int64($0)) }),
        ])
    }

    /// The value below which `q` of the sorted values lie (nearest rank).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
