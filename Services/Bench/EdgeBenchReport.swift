import Contracts
import Foundation

/// Prints the figures of a `switchboard-bench edge` load run as a table or as one JSON object.
struct EdgeBenchReport {
    /// The settings of the run.
    let command: EdgeBenchCommand
    /// What was measured.
    let result: EdgeBenchLoad.Result
    /// Clients that joined and sent events.
    let clients: Int
    /// Clients that never joined, after every attempt.
    let connectFailures: Int

    /// The percentiles printed besides the maximum.
    private static let percentiles: [(name: String, value: Double)] = [("p50", 50), ("p90", 90), ("p99", 99)]

    /// What the run measured, for the heading.
    private var setup: String {
        let extent = command.messages.map { "\($0) messages" } ?? "\(command.duration) s"
        return "\(extent) after \(command.warmup) s warm-up, \(command.payload)-character payload, " +
            "\(command.client.url)\(command.client.path), \(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    /// A heading, one aligned row (latencies in microseconds), and the kinds of errors if any.
    var table: String {
        let histogram = result.histogram
        let latencies = Self.percentiles.map { String(histogram.valueAtPercentile($0.value)) }
        var lines = [
            "edge echo round trip: \(setup)",
            Self.row(["CLIENTS", "IN FLIGHT", "P50 µs", "P90 µs", "P99 µs", "MAX µs", "MSGS/S", "ERRORS"]),
            Self.row([String(clients), String(command.inFlight)] + latencies + [
                String(histogram.max), String(Int(result.messagesPerSecond.rounded())), String(result.errors),
            ]),
        ]
        if result.errors > 0 || connectFailures > 0 || result.disconnects > 0 {
            lines.append("errors: \(result.errorAcks) error acks, \(result.unanswered) unanswered, " +
                "\(result.disconnects) disconnects, \(connectFailures) clients never joined")
        }
        return lines.joined(separator: "\n")
    }

    /// The same figures as one JSON object (`p50Us`, `p90Us`, `p99Us`, `maxUs`, `msgsPerSecond`, …).
    var json: String {
        var object: [String: JSON] = [
            "clients": .int(Int64(clients)), "inFlight": .int(Int64(command.inFlight)),
            "count": .int(Int64(result.histogram.totalCount)), "seconds": .double(result.seconds),
            "maxUs": .int(Int64(result.histogram.max)),
            "msgsPerSecond": .double((result.messagesPerSecond * 10).rounded() / 10),
            "errorAcks": .int(Int64(result.errorAcks)), "unanswered": .int(Int64(result.unanswered)),
            "disconnects": .int(Int64(result.disconnects)), "connectFailures": .int(Int64(connectFailures)),
            "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
        ]
        for percentile in Self.percentiles {
            object["\(percentile.name)Us"] = .int(Int64(result.histogram.valueAtPercentile(percentile.value)))
        }
        return JSON.object(object).jsonText
    }

    /// Every cell right-aligned in 10 columns.
    private static func row(_ cells: [String]) -> String {
        cells.map { $0.leftPadded(10) }.joined()
    }
}

/// The figures of an idle run.
struct IdleReport {
    /// The server process measured.
    let pid: Int32
    /// Connections that joined `/` and stayed open.
    let connections: Int
    /// Connections that never joined, after every attempt.
    let failed: Int
    /// Seconds it took to open them all.
    let seconds: Double
    /// The server's resident bytes before the first connection.
    let before: Int
    /// The server's resident bytes 2 s after the last join.
    let after: Int

    /// Resident bytes the server grew by per open connection.
    var bytesPerConnection: Int { connections > 0 ? (after - before) / connections : 0 }

    /// A heading and one row.
    var table: String {
        let mebibytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        return [
            "edge idle connections: server pid \(pid), \(ProcessInfo.processInfo.activeProcessorCount) cores, " +
                "opened in \(String(format: "%.1f", seconds)) s",
            "CONNECTIONS  FAILED  RSS BEFORE MiB  RSS AFTER MiB  BYTES/CONNECTION",
            [String(connections).leftPadded(11), String(failed).leftPadded(6), mebibytes(before).leftPadded(14),
             mebibytes(after).leftPadded(13), String(bytesPerConnection).leftPadded(16)].joined(separator: "  "),
        ].joined(separator: "\n")
    }

    /// The same figures as one JSON object.
    var json: String {
        JSON.object([
            "pid": .int(Int64(pid)), "connections": .int(Int64(connections)), "failed": .int(Int64(failed)),
            "seconds": .double((seconds * 10).rounded() / 10), "rssBefore": .int(Int64(before)),
            "rssAfter": .int(Int64(after)), "bytesPerConnection": .int(Int64(bytesPerConnection)),
        ]).jsonText
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
