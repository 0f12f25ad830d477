import Contracts
import Foundation

/// Prints the figures of a `switchboard-bench presence` run as a table or as one JSON object.
struct PresenceBenchReport {
    /// The settings of the run.
    let command: PresenceBenchCommand
    /// What the watcher saw.
    let result: PresenceBenchTally.Result

    /// The percentiles of the Remove delay printed besides the maximum.
    private static let percentiles: [(name: String, value: Double)] = [("p50", 50), ("p99", 99)]

    /// What the run did, for the heading.
    private var setup: String {
        "\(command.users) users × \(command.tabs) tabs + 1 watcher, last tabs closed " +
            "\(command.closeInterval) ms apart, \(command.client.url)\(command.client.path), " +
            "\(ProcessInfo.processInfo.activeProcessorCount) cores"
    }

    /// A heading, one aligned row (delays in microseconds), and what went wrong if anything.
    var table: String {
        let delay = result.removeDelay
        let delays = Self.percentiles.map { String(delay.valueAtPercentile($0.value)) }
        var lines = [
            "presence newOnlineUser: \(setup)",
            Self.row(["USERS", "ADDS", "ADD S", "ADDS/S", "REMOVES", "P50 µs", "P99 µs", "MAX µs", "EARLY"]),
            Self.row([String(result.users), String(result.adds), String(format: "%.3f", result.addSeconds),
                      String(Int(result.addsPerSecond.rounded())), String(result.removes)] + delays +
                     [String(delay.max), String(result.earlyRemoves)]),
        ]
        if !result.isClean {
            lines.append("errors: \(result.users - result.adds) users without Add, " +
                "\(result.users - result.removes) without Remove, \(result.earlyRemoves) early Removes, " +
                "\(result.duplicates) users with a duplicate Add or Remove, \(result.strays) stray events")
        }
        return lines.joined(separator: "\n")
    }

    /// The same figures as one JSON object (`addsPerSecond`, `addSeconds`, `removeP50Us`, …).
    var json: String {
        var object: [String: JSON] = [
            "users": .int(Int64(result.users)), "tabs": .int(Int64(command.tabs)),
            "closeIntervalMs": .double(command.closeInterval),
            "adds": .int(Int64(result.adds)), "addSeconds": .double((result.addSeconds * 1000).rounded() / 1000),
            "addsPerSecond": .double((result.addsPerSecond * 10).rounded() / 10),
            "removes": .int(Int64(result.removes)), "removeMaxUs": .int(Int64(result.removeDelay.max)),
            "earlyRemoves": .int(Int64(result.earlyRemoves)), "duplicates": .int(Int64(result.duplicates)),
            "strays": .int(Int64(result.strays)), "cores": .int(Int64(ProcessInfo.processInfo.activeProcessorCount)),
        ]
        for percentile in Self.percentiles {
            object["remove\(percentile.name.capitalized)Us"] =
                .int(Int64(result.removeDelay.valueAtPercentile(percentile.value)))
        }
        return JSON.object(object).jsonText
    }

    /// Every cell right-aligned in 10 columns.
    private static func row(_ cells: [String]) -> String {
        cells.map { $0.leftPadded(10) }.joined()
    }
}
