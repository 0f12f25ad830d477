import Contracts
import Foundation
import Histogram

/// CPU seconds (user + system) of server processes, from Linux `/proc/<pid>/stat`.
struct ProcessCPU {
    /// The processes measured, by name.
    let processes: [(name: String, pid: Int32)]

    /// The processes of `names`: `name=pid` is that process; a bare `name` is the one process of
    /// that name, counted only when exactly one exists (others are left out, with a warning:
    /// give pids when other servers of the same names run on the machine).
    init(names: [String]) {
        processes = names.compactMap { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, let pid = Int32(parts[1]) { return (parts[0], pid) }
            let name = entry
            guard let pid = try? EdgeBenchCommand.onlyProcess(named: name) else {
                FileHandle.standardError.write(Data("warning: no single process named \(name); its CPU is not counted\n".utf8))
                return nil
            }
            return (name, pid)
        }
    }

    /// CPU seconds each process has used so far (0 for one that is gone).
    func read() -> [Double] {
        processes.map { (try? ProcessUsage.cpuSeconds(of: $0.pid)) ?? 0 }
    }
}

/// Prints the figures of `switchboard-bench chat` as a table or as one JSON object.
struct ChatBenchReport {
    /// The settings of the run.
    let command: ChatBenchCommand
    /// What was measured.
    let result: (histogram: Histogram<UInt64>, deliveries: Int, seconds: Double, refusals: Int)
    /// CPU seconds each server process used while measuring.
    let cpu: [(name: String, seconds: Double)]

    private var perSecond: Double { result.seconds > 0 ? Double(result.deliveries) / result.seconds : 0 }

    private func cpuPerThousand(_ seconds: Double) -> Double {
        result.deliveries > 0 ? seconds / Double(result.deliveries) * 1000 : 0
    }

    /// A heading, one row of figures (delays in microseconds), and the CPU per process.
    var table: String {
        let histogram = result.histogram
        let total = cpu.map(\.seconds).reduce(0, +)
        return [
            "chat message:create → message:new at the other members: \(command.rooms) rooms × \(command.members) members, " +
                "\(command.duration) s after \(command.warmup) s warm-up, \(ProcessInfo.processInfo.activeProcessorCount) cores",
            ["DELIVERED/S", "P50 µs", "P99 µs", "MAX µs", "DELIVERED", "REFUSED", "CPU s/1000"]
                .map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(),
            [String(Int(perSecond.rounded())), String(histogram.valueAtPercentile(50)), String(histogram.valueAtPercentile(99)),
             String(histogram.max), String(result.deliveries), String(result.refusals),
             String(format: "%.3f", cpuPerThousand(total))]
                .map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined(),
            "cpu seconds per 1000 deliveries: " + cpu.map { "\($0.name) \(String(format: "%.3f", cpuPerThousand($0.seconds)))" }
                .joined(separator: ", "),
        ].joined(separator: "\n")
    }

    /// The same figures as one JSON object.
    var json: String {
        var cpuObject: [String: JSON] = [:]
        for process in cpu { cpuObject[process.name] = .double(cpuPerThousand(process.seconds)) }
        let object: JSON = [
            "rooms": .int(Int64(command.rooms)), "members": .int(Int64(command.members)),
            "seconds": .double(result.seconds), "delivered": .int(Int64(result.deliveries)),
            "deliveredPerSecond": .double(perSecond.rounded()), "refused": .int(Int64(result.refusals)),
            "p50Us": .int(Int64(result.histogram.valueAtPercentile(50))),
            "p99Us": .int(Int64(result.histogram.valueAtPercentile(99))), "maxUs": .int(Int64(result.histogram.max)),
            "cpuSecondsPer1000": .object(cpuObject),
        ]
        return object.jsonText
    }
}
