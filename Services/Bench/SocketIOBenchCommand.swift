import ArgumentParser
import Contracts
import Foundation
import NIOPosix
import SwitchboardKit

/// `switchboard-bench socketio`: the scenarios of the summary table against any Socket.IO
/// server, with the server's CPU and context switches per operation read from `/proc`.
struct SocketIOBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socketio",
        abstract: "Echo with ack, rooms, one big room, or idle connections against any Socket.IO server.",
        discussion: """
            Scenarios (standard Engine.IO v4 / Socket.IO v5 over WebSocket, namespace `/`):
              echo   --clients (default 100) clients each keep --in-flight (1) events --event (echo) \
            waiting for their ack; an operation is a round trip.
              rooms  --rooms (1) rooms of --members (10): each member joins its room with --join-event \
            (acked), then sends --send-event with an ack, the next one when the ack is back; the \
            server delivers --receive-event to the other members. An operation is a delivery; its \
            latency is from the send to the delivery.
              room   one room of --clients (2000) receivers and one sender outside it, which keeps \
            --in-flight (4) broadcasts out and sends the next once every receiver got one. An \
            operation is a frame delivered.
              idle   --clients (10000) connections join `/` and stay idle; an operation is a connection, \
            and the table shows the server memory it costs.
            Templates: `{room}` is the room's name, `{payload}` a JSON string carrying the sender, a \
            sequence number and the send time. Against Switchboard's echo-service the defaults fit; \
            against another server give its events. After --warmup seconds the run is measured for \
            --duration seconds. --server-pids (or --server-pid-file) names every server process: \
            their utime + stime (/proc/<pid>/stat) and voluntary context switches of every thread \
            (/proc/<pid>/task/*/status) over the measured window are divided by the operations.
            """
    )

    /// What a run measures.
    enum Scenario: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// Round trips of an acked event.
        case echo
        /// Rooms whose every member sends to the others.
        case rooms
        /// One big room, one sender.
        case room
        /// Idle connections.
        case idle
    }

    @OptionGroup var client: SocketIOClientOptions
    @Option(help: "echo, rooms, room or idle.") var scenario: Scenario
    @Option(help: "Sockets: echo clients (default 100), room receivers (2000), idle connections (10000).")
    var clients: Int?
    @Option(help: "Events out at once: per echo client (default 1), or broadcasts of the room sender (4).")
    var inFlight: Int?
    @Option(help: "Rooms (rooms scenario).") var rooms = 1
    @Option(help: "Members per room, every one sending (rooms scenario).") var members = 10
    @Option(help: "The acked event of the echo scenario.") var event = "echo"
    @Option(help: "The event that joins a room (acked).") var joinEvent = "join"
    @Option(help: "Its arguments (JSON array; {room}).") var joinArgs = #"[{"room":"{room}"}]"#
    @Option(help: "The event that sends to a room (acked).") var sendEvent = "broadcast"
    @Option(help: "Its arguments (JSON array; {room}, {payload}).")
    var sendArgs = #"[{"room":"{room}","event":"msg","args":[{payload}],"exceptSelf":true}]"#
    @Option(help: "The event the other members receive.") var receiveEvent = "msg"
    @Option(help: "Characters of padding in each event's string.") var payload = 32
    @Option(help: "Measured seconds.") var duration = 10.0
    @Option(help: "Unmeasured seconds of load before measuring.") var warmup = 2.0
    @Option(help: "Comma-separated server process ids whose CPU is counted.") var serverPids: String?
    @Option(help: "A file of server process ids (repeatable).") var serverPidFile: [String] = []
    @Option(help: "The scenario's name in the summary (default: from the settings).") var label: String?
    @Option(help: "The build's name in the summary (e.g. the binaries' directory).") var build = ""
    @Option(help: "Append the row as one JSON line to this file (see `summary`).") var summary: String?
    @Flag(help: "Print the row as one JSON object instead of a table.") var json = false

    /// Refuses settings that would measure nothing.
    func validate() throws {
        guard (clients ?? 1) > 0, (inFlight ?? 1) > 0, rooms > 0, members > 1, payload >= 0, duration > 0, warmup >= 0 else {
            throw ValidationError("counts and --duration must be positive, --members at least 2")
        }
    }

    /// Runs the scenario, prints its row and appends it to --summary; exits 2 when something failed.
    func run() async throws {
        let servers = try ServerProcesses(list: serverPids, files: serverPidFile)
        let sockets = clients ?? [.echo: 100, .room: 2000, .idle: 10_000][scenario] ?? rooms * members
        let fileLimit = raiseOpenFileLimit()
        if fileLimit < sockets + 64 {
            FileHandle.standardError.write(Data("warning: open-file limit \(fileLimit) < \(sockets + 64) needed\n".utf8))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let measured: Measured
        do {
            switch scenario {
            case .echo: measured = try await runEcho(clients: sockets, servers: servers, group: group)
            case .rooms, .room: measured = try await runRooms(receivers: sockets, servers: servers, group: group)
            case .idle: measured = try await runIdle(connections: sockets, servers: servers, group: group)
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        let row = self.row(measured, sockets: sockets, servers: servers)
        emitLine(json ? row.jsonLine : SummaryRow.table([row]))
        if let summary { try row.append(to: summary) }
        if row.errors > 0 { throw ExitCode(2) }
    }

    /// What a scenario measured, before it becomes a row.
    struct Measured {
        /// Operations counted.
        var operations: Int
        /// Seconds of the measured window.
        var seconds: Double
        /// Latency percentiles in microseconds, when measured.
        var p50Us: Int?
        /// The 99th percentile in microseconds, when measured.
        var p99Us: Int?
        /// What the servers used in the measured window.
        var usage: ServerProcesses.Sample
        /// Failed operations.
        var errors: Int
    }

    /// The summary row of a run.
    private func row(_ measured: Measured, sockets: Int, servers: ServerProcesses) -> SummaryRow {
        let operations = max(measured.operations, 1)
        let counted = !servers.pids.isEmpty && measured.operations > 0
        let (operation, name): (String, String) = switch scenario {
        case .echo: ("round trip", "echo ack, \(sockets) client\(sockets == 1 ? "" : "s")" + ((inFlight ?? 1) > 1 ? " × \(inFlight ?? 1)" : ""))
        case .rooms: ("delivery", "rooms of \(members), \(rooms) room\(rooms == 1 ? "" : "s")")
        case .room: ("frame", "one room of \(sockets)")
        case .idle: ("connection", "idle \(sockets)")
        }
        return SummaryRow(
            build: build, scenario: label ?? name, operation: operation, operations: measured.operations,
            perSecond: measured.seconds > 0 ? Double(measured.operations) / measured.seconds : 0,
            p50Us: measured.p50Us, p99Us: measured.p99Us,
            cpuUsPerOperation: counted ? measured.usage.cpuSeconds * 1e6 / Double(operations) : nil,
            switchesPerOperation: counted ? Double(measured.usage.voluntarySwitches) / Double(operations) : nil,
            bytesPerConnection: scenario == .idle && counted ? measured.usage.residentBytes / operations : nil,
            errors: measured.errors)
    }

    /// The events of a rooms run from the options.
    var roomEvents: RoomBenchEvents {
        RoomBenchEvents(joinEvent: joinEvent, joinArguments: joinArgs, sendEvent: sendEvent, sendArguments: sendArgs,
                        padding: String(repeating: "x", count: payload),
                        receivePrefix: Array(("[" + JSON.string(receiveEvent).jsonText).utf8))
    }
}
