import ArgumentParser
import Contracts
import Foundation
import Histogram
import NIOPosix
import SwitchboardKit

/// `switchboard-bench call`: the telecaller flow of the call service. Part one times call set-up
/// through a Socket.IO edge with real clients; part two holds many calls ringing at once and
/// measures what their ring timers cost the call process and how late `call:missed` comes.
struct CallBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call set-up latency through a Socket.IO edge, and the cost of many pending ring timers.",
        discussion: """
            Seeds its own accounts first (one `seed` event over the bus, docs/seed.md): users \
            bench-u<i> and telecallers bench-t<k> for the set-up part, timer-u<i> / timer-t<i> for \
            the timer part, all free (rate 0). \
            Set-up: --telecallers WebSocket clients join /telecaller and enough users join /user \
            (JWT signed with --jwt-secret; the edge must allow that many connections per minute from \
            one address) that each initiates at most --calls-per-user calls (the call service allows \
            5 a minute). Each telecaller serves calls one after the other: its next user emits \
            `call:initiate`, the time to `call:incoming` at the telecaller and to `call:ringing` at \
            the user is recorded (HdrHistogram, µs), the telecaller rejects, the user sees \
            `call:rejected`. \
            Timers: it speaks to the call service over the bus as an edge would (`connected` life \
            facts for --timers users and telecallers, `call:initiate` events, instructions on topic \
            `edge`), because through an edge every initiate and every miss sends \
            `telecaller:presence-changed` to every /user socket. It reads the call process's RSS \
            and CPU time before the initiates, once all calls ring, and after the last \
            `call:missed`, and prints how late each call's first `call:missed` came after its \
            deadline, bounded from below by the initiate's reply + --ring-timeout-ms and from \
            above by the initiate sent + --ring-timeout-ms (which must equal the service's \
            CALL_RING_TIMEOUT_MS). Figures are \
            printed, never judged; the exit status is 2 only when calls failed or misses are missing.
            """
    )

    @OptionGroup var client: SocketIOClientOptions
    @OptionGroup var bus: BusOptions
    @Option(help: "Calls set up through the edge (0 skips the set-up part).") var calls = 1000
    @Option(help: "Telecallers, i.e. calls being set up at once.") var telecallers = 10
    @Option(help: "Calls each user initiates (the call service allows 5 a minute).") var callsPerUser = 5
    @Option(help: "Calls kept ringing at once over the bus (0 skips the timer part).") var timers = 10_000
    @Option(help: "`call:initiate` events waiting for their reply at once in the timer part.") var inFlight = 64
    @Option(help: "The call service's CALL_RING_TIMEOUT_MS.") var ringTimeoutMs = 30_000
    @Option(help: "Seconds to wait for an answer or a miss without progress.") var timeout = 30.0
    @Option(help: "HS256 secret of the edge's JWTs (default EDGE_JWT_SECRET or the development value).")
    var jwtSecret = ProcessInfo.processInfo.environment["EDGE_JWT_SECRET"]
        ?? "switchboard-development-jwt-secret-change-me-now"
    @Option(help: "The call process (default: the only process named `call`).") var callPid: Int32?

    /// Refuses settings that would measure nothing.
    func validate() throws {
        guard calls >= 0, timers >= 0, calls + timers > 0 else { throw ValidationError("give --calls or --timers") }
        guard telecallers > 0, (1...5).contains(callsPerUser), inFlight > 0, ringTimeoutMs > 0, timeout > 0 else {
            throw ValidationError("--telecallers, --in-flight, --ring-timeout-ms, --timeout must be positive; " +
                "--calls-per-user 1…5")
        }
    }

    /// Users of the set-up part: each initiates at most `callsPerUser` calls, and there are at
    /// least as many as calls being set up at once.
    var setupUsers: Int { max((calls + callsPerUser - 1) / callsPerUser, min(calls, telecallers)) }

    /// Seeds, runs the two parts, prints their reports; exits 2 when anything failed.
    func run() async throws {
        let fileLimit = raiseOpenFileLimit()
        if fileLimit < UInt64(telecallers + setupUsers + 64) {
            FileHandle.standardError.write(Data("warning: open-file limit \(fileLimit) is low\n".utf8))
        }
        let pid = try callPid ?? EdgeBenchCommand.onlyProcess(named: "call")
        var connection = bus.connectionConfiguration()
        // The session plays an edge (life facts, client events): the edge's key, unless --key names one.
        if bus.key == nil { connection.keys = .environment(name: "edge") }
        let session = try await CallBenchBus(configuration: connection, timeout: timeout)
        var failed = false
        do {
            try await session.seed(seedDocument())
            if calls > 0 {
                let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
                let measured: CallBenchSetup.Result
                do {
                    measured = try await CallBenchSetup(command: self, dialer: client.dialer(group: group)).run()
                } catch {
                    try? await group.shutdownGracefully()
                    throw error
                }
                try? await group.shutdownGracefully()
                emitLine(report(measured))
                failed = failed || !measured.isClean
            }
            if timers > 0 {
                let measured = try await CallBenchTimers(command: self, bus: session, pid: pid).run()
                emitLine(report(measured))
                failed = failed || !measured.isClean
            }
        } catch {
            await session.close()
            throw error
        }
        await session.close()
        if failed { throw ExitCode(2) }
    }

    /// Every account both parts use, free of charge.
    func seedDocument() -> JSON {
        func user(_ id: String) -> JSON { ["id": .string(id), "name": .string(id), "coins": 1000] }
        func telecaller(_ id: String) -> JSON { ["id": .string(id), "name": .string(id), "ratePerMinute": 0] }
        let users = (0..<(calls > 0 ? setupUsers : 0)).map { user("bench-u\($0)") } +
            (0..<timers).map { user("timer-u\($0)") }
        let telecallers = (0..<(calls > 0 ? telecallers : 0)).map { telecaller("bench-t\($0)") } +
            (0..<timers).map { telecaller("timer-t\($0)") }
        return ["users": .array(users), "telecallers": .array(telecallers)]
    }

    /// The `auth` object of a CONNECT packet for `id` in `role`: `{"token":"<HS256 JWT>"}`.
    func auth(id: String, role: String) -> String {
        connectAuth(claims: ["id": .string(id), "role": .string(role), "name": .string(id)], secret: jwtSecret)
    }
}

/// The figures of `switchboard-bench call` as tables (times in milliseconds).
extension CallBenchCommand {
    /// The set-up part: calls, the two latencies' p50 / p99 / max, errors.
    func report(_ result: CallBenchSetup.Result) -> String {
        var lines = [
            "call set-up: \(result.calls) calls, \(telecallers) at once (\(telecallers) telecallers, " +
                "\(setupUsers) users), \(result.sockets) sockets on \(client.url), " +
                "\(ProcessInfo.processInfo.activeProcessorCount) cores",
            row(["FROM INITIATE TO", "CALLS", "P50 ms", "P99 ms", "MAX ms"]),
            row(["call:incoming"] + [String(result.rung)] + figures(result.incoming)),
            row(["call:ringing"] + [String(result.rung)] + figures(result.ringing)),
            String(format: "%d calls in %.1f s (%.0f calls/s, each with its reject)", result.rung, result.seconds,
                   result.seconds > 0 ? Double(result.rung) / result.seconds : 0),
        ]
        if !result.errors.isEmpty { lines.append("errors: \(describe(result.errors))") }
        return lines.joined(separator: "\n")
    }

    /// The timer part: set-up over the bus, the call process's memory and CPU, miss lateness.
    func report(_ result: CallBenchTimers.Result) -> String {
        var lines = [
            "call ring timers: \(result.timers) calls ringing at once over the bus (no edge), " +
                "ring timeout \(ringTimeoutMs) ms, \(inFlight) initiates in flight",
            String(format: "%d socket facts (a user and a telecaller per call) applied in %.1f s",
                   2 * result.timers, result.factSeconds),
            row(["INITIATE REPLY", "CALLS", "P50 ms", "P99 ms", "MAX ms"]),
            row(["over the bus", String(result.rung)] + figures(result.initiateReply)),
            String(format: "%d initiates in %.1f s; %d calls ringing at once when the last reply came",
                   result.rung, result.initiateSeconds, result.pendingAtPeak),
        ]
        if let before = result.before, let peak = result.peak, let after = result.after {
            let mib = { (bytes: Int) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
            let perCall = result.pendingAtPeak > 0 ? (peak.residentBytes - before.residentBytes) / result.pendingAtPeak : 0
            lines.append("call process RSS: \(mib(before.residentBytes)) before, \(mib(peak.residentBytes)) " +
                "with the calls ringing (\(perCall) bytes per call), \(mib(after.residentBytes)) after the misses")
            lines.append(String(format: "call process CPU: %.2f s for the initiates, %.2f s from then to the last miss",
                                peak.cpuSeconds - before.cpuSeconds, after.cpuSeconds - peak.cpuSeconds))
        }
        lines.append(row(["call:missed LATE BY", "CALLS", "P50 ms", "P99 ms", "MAX ms"]))
        lines.append(row(["from reply + timeout", String(result.missedBoth)] + figures(result.latenessFromReply)))
        lines.append(row(["from sent + timeout", String(result.missedBoth)] + figures(result.lateness)))
        if !result.isClean || result.early > 0 {
            lines.append("errors: \(result.timers - result.rung) not rung \(describe(result.errors)), " +
                "\(result.rung - result.missedBoth) without call:missed on both sides, \(result.duplicates) duplicate " +
                "misses, \(result.early) misses before the deadline")
        }
        return lines.joined(separator: "\n")
    }

    /// p50, p99 and max of a histogram of microseconds, in milliseconds.
    private func figures(_ histogram: Histogram<UInt64>) -> [String] {
        let values = [histogram.valueAtPercentile(50), histogram.valueAtPercentile(99), histogram.max]
        return values.map { String(format: "%.1f", Double($0) / 1000) }
    }

    /// `text ×count` pairs.
    private func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }

    /// The first cell left-aligned in 20 columns, the others right-aligned in 10.
    private func row(_ cells: [String]) -> String {
        cells[0].padding(toLength: 20, withPad: " ", startingAt: 0) + cells.dropFirst().map { $0.leftPadded(10) }.joined()
    }
}
