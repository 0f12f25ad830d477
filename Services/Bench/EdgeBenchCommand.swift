import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import SwitchboardKit

/// `switchboard-bench edge`: a load generator for any Socket.IO server, speaking standard
/// Engine.IO v4 / Socket.IO v5 over WebSocket. It measures `echo` round trips with acks, or
/// (`--idle N`) the server's memory per idle connection.
struct EdgeBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Echo round trips through a Socket.IO server, or its memory per idle connection.",
        discussion: """
            Each of --clients WebSocket clients joins `/` and emits `echo` with an ack \
            (`42<id>["echo","xx…"]`), sending the next event when the ack `43<id>[…]` comes back, with \
            --in-flight events waiting at once. After --warmup seconds (and at least one successful \
            ack) it measures for --duration seconds, or --messages round trips in all. An ack whose \
            first argument is {"error": …} counts as an error. The server needs a handler that acks \
            `echo` (Switchboard: echo-service). With --idle N it instead opens N connections that \
            join `/` and stay idle, and reports the resident memory of the server process before and \
            after (Linux /proc/<pid>/status).
            """
    )

    @OptionGroup var client: SocketIOClientOptions
    @Option(help: "WebSocket clients emitting `echo`.") var clients = 100
    @Option(help: "Events each client keeps waiting for their ack.") var inFlight = 1
    @Option(help: "Measured seconds (unless --messages).") var duration = 10.0
    @Option(help: "Measured round trips in all, instead of --duration.") var messages: Int?
    @Option(help: "Unmeasured seconds of load before measuring.") var warmup = 2.0
    @Option(help: "Characters of the string each `echo` carries.") var payload = 32
    @Option(help: "Open this many idle connections and report the server's memory per connection.") var idle: Int?
    @Option(help: "Server process for --idle (default: the only process named `edge`).") var edgePid: Int32?
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// Refuses settings that would measure nothing.
    func validate() throws {
        guard clients > 0, inFlight > 0, duration > 0, warmup >= 0, payload >= 0 else {
            throw ValidationError("counts and durations must be positive")
        }
        if let messages, messages <= 0 { throw ValidationError("--messages must be positive") }
        if let idle, idle <= 0 { throw ValidationError("--idle must be positive") }
    }

    /// Raises the open-file limit, then runs the load or the idle measurement.
    func run() async throws {
        let fileLimit = raiseOpenFileLimit()
        let needed = (idle ?? clients) + 64
        if fileLimit < needed {
            FileHandle.standardError.write(Data("warning: open-file limit \(fileLimit) < \(needed) needed\n".utf8))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let dialer = client.dialer(group: group)
        let failed: Bool
        do {
            if let idle {
                failed = try await runIdle(idle, dialer: dialer)
            } else {
                failed = try await runLoad(dialer: dialer)
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        if failed { throw ExitCode(2) }
    }

    /// Connects the clients, warms up, measures, drains and prints the report; returns
    /// whether anything failed.
    private func runLoad(dialer: EdgeBenchDialer) async throws -> Bool {
        let load = EdgeBenchLoad(inFlight: inFlight, payload: payload, messages: messages)
        let (opened, connectFailures) = await dialer.openAll(count: clients, concurrency: client.connecting, load: load)
        guard !opened.isEmpty else {
            throw EdgeBenchFailure(description: "no client could join / at \(client.url)\(client.path)")
        }
        let result: EdgeBenchLoad.Result
        do {
            result = try await load.run(on: opened, warmup: warmup, duration: duration, counted: messages != nil) {}
        } catch {
            close(opened)
            throw error
        }
        close(opened)
        let report = EdgeBenchReport(command: self, result: result, clients: opened.count,
                                     connectFailures: connectFailures)
        emitLine(json ? report.json : report.table)
        return result.errors > 0 || connectFailures > 0
    }

    /// Closes every connection (the server sees a normal TCP close).
    func close(_ opened: [EdgeBenchDialer.Opened]) {
        for connection in opened { connection.channel.close(promise: nil) }
    }
}

/// `switchboard-bench edge --idle N`: the server's resident memory per idle connection.
extension EdgeBenchCommand {
    /// Reads the server's RSS, opens `count` idle connections that join `/`, waits for the
    /// memory to settle, reads it again and prints the difference per connection; returns
    /// whether any connection failed.
    func runIdle(_ count: Int, dialer: EdgeBenchDialer) async throws -> Bool {
        let pid = try edgePid ?? Self.onlyProcess(named: "edge")
        let before = try Self.residentBytes(of: pid)
        let start = ContinuousClock.now
        let (opened, failed) = await dialer.openAll(count: count, concurrency: client.connecting, load: nil)
        let seconds = milliseconds(since: start) / 1000
        try await Task.sleep(for: .seconds(2))
        let after = try Self.residentBytes(of: pid)
        close(opened)
        let report = IdleReport(pid: pid, connections: opened.count, failed: failed, seconds: seconds,
                                before: before, after: after)
        emitLine(json ? report.json : report.table)
        return failed > 0
    }

    /// `VmRSS` of `/proc/<pid>/status`, in bytes.
    static func residentBytes(of pid: Int32) throws -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
                  .flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { throw EdgeBenchFailure(description: "cannot read VmRSS of process \(pid) (Linux /proc only)") }
        return kilobytes * 1024
    }

    /// The one process whose name (`/proc/<pid>/comm`) is `name`, as `pgrep -x` finds it;
    /// throws when there is none or more than one (then `--edge-pid` must say which).
    static func onlyProcess(named name: String) throws -> Int32 {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let matches = entries.compactMap(Int32.init).filter { pid in
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .newlines) == name
        }
        guard matches.count == 1, let pid = matches.first else {
            throw EdgeBenchFailure(description: matches.isEmpty
                ? "no process named `\(name)`: give --edge-pid"
                : "\(matches.count) processes named `\(name)` (\(matches.map(String.init).joined(separator: ", "))): give --edge-pid")
        }
        return pid
    }
}

/// Why the edge benchmark could not run, or why one connection failed.
struct EdgeBenchFailure: Error, CustomStringConvertible {
    /// What went wrong.
    let description: String
}
