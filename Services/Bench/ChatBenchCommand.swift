import ArgumentParser
import Contracts
import Foundation
import NIOCore
import NIOPosix
import SwitchboardKit

/// `switchboard-bench chat`: Zizany rooms through the whole system (edge, bus, chat). Each of
/// --rooms channels has --members sockets; every member sends `message:create` and the next one
/// when its own `message:new` is back (closed loop, one in flight each). It reports deliveries
/// to the other members per second, the delay from `message:create` to `message:new` at them,
/// and the servers' CPU seconds per 1,000 deliveries.
struct ChatBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Zizany message:create → message:new delivery rate and delay through the system.",
        discussion: """
            Seeds (as `switchboard seed` does) users idBase+0… and, per room r, a server and channel \
            idBase+r with its members; connects each member to `/` with a JWT (`{"token"}`, HS256 with \
            --jwt-secret, the edge's default development secret unless given), joins `server:{id}` and \
            `channel:{id}`, then runs the closed loop for --warmup + --duration seconds. The delay of \
            each delivery is measured in this process (the content carries the send time). CPU seconds \
            are read from /proc for the processes named in --server-processes. The server needs the \
            edge with `/` on `jwt` or `optional` auth and the chat service.
            """
    )

    @OptionGroup var client: SocketIOClientOptions
    @OptionGroup var bus: BusOptions
    @Option(help: "Rooms (Zizany channels, one server each).") var rooms = 10
    @Option(help: "Members per room, each sending.") var members = 10
    @Option(help: "Measured seconds.") var duration = 10.0
    @Option(help: "Unmeasured seconds of load before measuring.") var warmup = 2.0
    @Option(help: "First user, server and channel id the benchmark seeds.") var idBase: Int64 = 900_000
    @Option(help: "HS256 secret of the edge's JWTs.")
    var jwtSecret = ProcessInfo.processInfo.environment["EDGE_JWT_SECRET"] ?? "switchboard-development-jwt-secret-change-me-now"
    @Option(help: "Comma-separated processes whose CPU is counted: a name (the one process of that name) or name=pid.")
    var serverProcesses = "edge,bus,chat,presence"
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// Refuses settings that would measure nothing.
    func validate() throws {
        guard rooms > 0, members > 1, duration > 0, warmup >= 0 else {
            throw ValidationError("--rooms must be positive, --members at least 2, durations positive")
        }
    }

    /// Seeds, connects, runs the loop, prints the report; exits 2 when something was refused.
    func run() async throws {
        _ = raiseOpenFileLimit()
        try await seed()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let dialer = client.dialer(group: group)
        let tally = DeliveryTally()
        let cpu = ProcessCPU(names: serverProcesses.split(separator: ",").map(String.init))
        var opened: [EdgeBenchDialer.Opened] = []
        do {
            let joined = try await connect(dialer: dialer, group: group, tally: tally)
            opened = joined.compactMap(\.connection)
            for member in joined { member.sendNext() }
            try await Task.sleep(for: .seconds(warmup))
            guard tally.warmupDeliveries > 0 || warmup == 0 else {
                throw EdgeBenchFailure(description: "no message:new within the warm-up: is the chat service running?")
            }
            let before = cpu.read()
            tally.beginMeasuring()
            try await Task.sleep(for: .seconds(duration))
            tally.stop()
            let after = cpu.read()
            let report = ChatBenchReport(command: self, result: tally.result(),
                                         cpu: zip(cpu.processes, zip(before, after)).map { ($0.0.name, $0.1.1 - $0.1.0) })
            emitLine(json ? report.json : report.table)
        } catch {
            tally.stop()
            for connection in opened { connection.channel.close(promise: nil) }
            try? await group.shutdownGracefully()
            throw error
        }
        try await Task.sleep(for: .milliseconds(300))
        for connection in opened { connection.channel.close(promise: nil) }
        try await group.shutdownGracefully()
        if tally.result().refusals > 0 { throw ExitCode(2) }
    }

    /// Opens every member's socket and waits until each joined its channel.
    private func connect(dialer: EdgeBenchDialer, group: MultiThreadedEventLoopGroup,
                         tally: DeliveryTally) async throws -> [ChatBenchMember] {
        let all = (0..<(rooms * members)).map { index in
            ChatBenchMember(index: index, channel: idBase + Int64(index / members), tally: tally,
                            joined: group.next().makePromise(of: Void.self))
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            var next = 0
            func start() {
                let member = all[next]
                let user = idBase + Int64(member.index)
                let auth = connectAuth(claims: ["id": .string(String(user)), "name": .string("bench \(member.index)")],
                                       secret: jwtSecret)
                tasks.addTask {
                    member.connection = try await dialer.openRetrying(load: nil, onEvent: { member.received($0) },
                                                                      joins: [.init(namespace: "/", auth: auth)])
                    member.join()
                    try await member.joined.futureResult.get()
                }
                next += 1
            }
            while next < min(client.connecting, all.count) { start() }
            while try await tasks.next() != nil {
                if next < all.count { start() }
            }
        }
        return all
    }

    /// Seeds the rooms' users, servers, channels and memberships, as `switchboard seed` does.
    private func seed() async throws {
        let users = (0..<(rooms * members)).map { index -> JSON in
            ["id": .int(idBase + Int64(index)), "name": .string("bench \(index)")]
        }
        let servers = (0..<rooms).map { room -> JSON in ["id": .int(idBase + Int64(room)), "name": .string("bench \(room)")] }
        let channels = (0..<rooms).map { room -> JSON in
            ["id": .int(idBase + Int64(room)), "serverId": .int(idBase + Int64(room)), "name": "bench"]
        }
        let memberships = (0..<(rooms * members)).map { index -> JSON in
            ["serverId": .int(idBase + Int64(index / members)), "userId": .int(idBase + Int64(index))]
        }
        let document: JSON = ["users": .array(users), "servers": .array(servers), "channels": .array(channels),
                              "memberships": .array(memberships)]
        let failures = try await SeedDelivery.deliver(document, bus: bus, waitMs: 2500, timeoutMs: 10_000) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        guard failures == 0 else { throw EdgeBenchFailure(description: "the seed was not taken by every service") }
    }
}
