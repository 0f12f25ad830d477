import ArgumentParser
import Bus
import Contracts
import Foundation
import Histogram
import Logging
import SwitchboardKit

/// `switchboard-bench bus`: the event → service → reply round trip over the bus, next to
/// libzmq's bare DEALER/ROUTER round trip over tcp loopback with the same message bytes.
struct BusBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Round-trip latency and throughput of the bus, and of bare libzmq for scale.",
        discussion: """
            Self-contained: starts a bus proxy on free loopback ports (unless --external; with --curve it \
            has keys and every connection is CurveZMQ), an \
            in-process service `bench` answering `/ ping` with an ack of its arguments, and a client \
            publishing events through the delivery rules. Each in-flight level runs a warm-up, then \
            --messages round trips, keeping that many events waiting for their reply at once. The \
            bare path sends the same frames through a DEALER to a ROUTER echoing on its own thread.
            """
    )

    @OptionGroup var bus: BusOptions
    @Flag(help: "Use the bus at --publish/--subscribe instead of starting one in-process.") var external = false
    @Flag(help: "Give the in-process bus CURVE keys (a temporary key folder), as deploy/run's bus has.")
    var curve = false
    @Option(help: "Measured round trips per path and in-flight level.") var messages = 20_000
    @Option(help: "Unmeasured round trips before each measurement.") var warmup = 2_000
    @Option(help: "Comma-separated numbers of messages in flight at once.") var inFlight = InFlightLevels([1, 64])
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// Refuses counts that would measure nothing.
    func validate() throws {
        guard messages > 0, warmup >= 0 else { throw ValidationError("--messages must be positive, --warmup not negative") }
    }

    /// Bare path first (nothing else running yet), then the bus path, then one report.
    func run() async throws {
        let connection = bus.connectionConfiguration()
        let frames = BusBench.event(index: 0, instance: "bench-bare").encode()
        let (levels, count, warmup) = (inFlight.levels, messages, warmup)
        var results = try await onOwnThread(name: "bench-dealer") {
            try BareRoundTrip.run(frames: frames, levels: levels, count: count, warmup: warmup)
        }
        let bench = try await BusBench(configuration: connection, external: external, curve: curve,
                                       logger: Logger(label: "bench"))
        for level in levels {
            _ = await bench.measure(count: warmup, inFlight: level)
            results.append(await bench.measure(count: count, inFlight: level))
        }
        await bench.shutdown()
        results.sort { ($0.inFlight, $0.path.rawValue) < ($1.inFlight, $1.path.rawValue) }
        let setup = external ? "bus at \(bus.publish) / \(bus.subscribe)"
            : "in-process bus proxy, \(curve ? "CURVE" : "no CURVE")"
        let report = BenchReport(results: results, messages: count, warmup: warmup, setup: setup,
                                 frameBytes: frames.reduce(0) { $0 + $1.count })
        emitLine(json ? report.json : report.table)
        if results.contains(where: { $0.failed > 0 }) { throw ExitCode(2) }
    }
}

/// The `--in-flight` levels, e.g. `1,64`.
struct InFlightLevels: ExpressibleByArgument {
    /// Messages in flight at once, one measurement each, in the given order.
    let levels: [Int]

    /// Levels from a list of numbers.
    init(_ levels: [Int]) { self.levels = levels }

    /// Levels from `1,64`; every level must be at least 1.
    init?(argument: String) {
        let levels = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        self.levels = levels.compactMap { $0 }
    }

    /// Shown as the default in `--help`.
    var defaultValueDescription: String { levels.map(String.init).joined(separator: ",") }
}

/// Which round trip a result measures.
enum RoundTripPath: String, Sendable {
    /// Client → bus proxy → service → bus proxy → client, with the envelope coding.
    case bus
    /// DEALER → ROUTER echo → DEALER over tcp loopback, no proxy and no coding.
    case bare

    /// The row label of the table.
    var label: String {
        switch self {
        case .bus: "bus (proxy + service)"
        case .bare: "bare DEALER/ROUTER"
        }
    }
}

/// The figures of one path at one in-flight level.
struct RoundTripResult: Sendable {
    /// What was measured.
    var path: RoundTripPath
    /// Messages kept waiting for their reply at once.
    var inFlight: Int
    /// Round trips that got their reply, in microseconds.
    var histogram: Histogram<UInt64>
    /// Wall-clock seconds from the first send to the last reply.
    var seconds: Double
    /// Round trips that ended in a failure or an error reply (not in the histogram).
    var failed: Int

    /// Replies per second over the whole measurement.
    var messagesPerSecond: Double { seconds > 0 ? Double(histogram.totalCount) / seconds : 0 }
}

/// Prints the results as a table or as one JSON object.
struct BenchReport {
    /// One result per path and in-flight level, in print order.
    let results: [RoundTripResult]
    /// Measured round trips per result.
    let messages: Int
    /// Unmeasured round trips before each result.
    let warmup: Int
    /// Which bus the bus path used.
    let setup: String
    /// Bytes of one event's frames (topic, header, body), the same on both paths.
    let frameBytes: Int

    /// The percentiles printed besides the maximum.
    private static let percentiles: [(name: String, value: Double)] = [("p50", 50), ("p90", 90), ("p99", 99)]

    /// A heading and one aligned row per result, latencies in microseconds.
    var table: String {
        var lines = [
            "bus round trip: \(messages) messages per row after \(warmup) warm-up, " +
                "\(frameBytes)-byte event, \(setup), \(ProcessInfo.processInfo.activeProcessorCount) cores",
            Self.row(["PATH", "IN FLIGHT", "P50 µs", "P90 µs", "P99 µs", "MAX µs", "MSGS/S", "FAILED"]),
        ]
        for result in results {
            let latencies = Self.percentiles.map { String(result.histogram.valueAtPercentile($0.value)) }
            lines.append(Self.row([result.path.label, String(result.inFlight)] + latencies + [
                String(result.histogram.max), String(Int(result.messagesPerSecond.rounded())), String(result.failed),
            ]))
        }
        return lines.joined(separator: "\n")
    }

    /// The same figures as one JSON object (`results[]` with `p50Us`, `p90Us`, `p99Us`, `maxUs`, `msgsPerSecond`).
    var json: String {
        let rows = results.map { result -> JSON in
            var object: [String: JSON] = [
                "path": .string(result.path.rawValue), "inFlight": .int(Int64(result.inFlight)),
                "count": .int(Int64(result.histogram.totalCount)), "failed": .int(Int64(result.failed)),
                "maxUs": .int(Int64(result.histogram.max)), "seconds": .double(result.seconds),
                "msgsPerSecond": .double((result.messagesPerSecond * 10).rounded() / 10),
            ]
            for percentile in Self.percentiles {
                object["\(percentile.name)Us"] = .int(Int64(result.histogram.valueAtPercentile(percentile.value)))
            }
            return .object(object)
        }
        return JSON.object([
            "messages": .int(Int64(messages)), "warmup": .int(Int64(warmup)), "setup": .string(setup),
            "frameBytes": .int(Int64(frameBytes)), "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
            "results": .array(rows),
        ]).jsonText
    }

    /// The first column left-aligned, the others right-aligned.
    private static func row(_ cells: [String]) -> String {
        let first = cells[0].padding(toLength: 22, withPad: " ", startingAt: 0)
        let rest = cells.dropFirst().map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }
        return first + rest.joined()
    }
}
