import Foundation
import NIOCore
import NIOPosix
import SwitchboardKit

/// The scenarios of `switchboard-bench socketio`, each measured between two samples of the servers.
extension SocketIOBenchCommand {
    /// Echo with ack: the load of `switchboard-bench edge` with the event `--event`.
    func runEcho(clients: Int, servers: ServerProcesses, group: MultiThreadedEventLoopGroup) async throws -> Measured {
        let load = EdgeBenchLoad(inFlight: inFlight ?? 1, payload: payload, messages: nil, event: event)
        let (opened, failed) = await client.dialer(group: group).openAll(count: clients, concurrency: client.connecting,
                                                                         load: load)
        defer { close(opened.map(\.channel)) }
        guard !opened.isEmpty else { throw EdgeBenchFailure(description: "no client could join / at \(client.url)") }
        var before = servers.sample()
        let result = try await load.run(on: opened, warmup: warmup, duration: duration, counted: false) {
            before = servers.sample()
        }
        return Measured(operations: Int(result.histogram.totalCount), seconds: result.seconds,
                        p50Us: Int(result.histogram.valueAtPercentile(50)),
                        p99Us: Int(result.histogram.valueAtPercentile(99)),
                        usage: servers.sample().since(before), errors: result.errors + failed)
    }

    /// Idle connections: the time and server CPU it takes to open them, and the server memory
    /// they hold 2 s after the last one joined.
    func runIdle(connections: Int, servers: ServerProcesses, group: MultiThreadedEventLoopGroup) async throws -> Measured {
        let before = servers.sample()
        let start = ContinuousClock.now
        let (opened, failed) = await client.dialer(group: group).openAll(count: connections, concurrency: client.connecting,
                                                                         load: nil)
        let seconds = milliseconds(since: start) / 1000
        try await Task.sleep(for: .seconds(2))
        let usage = servers.sample().since(before)
        close(opened.map(\.channel))
        return Measured(operations: opened.count, seconds: seconds, usage: usage, errors: failed)
    }

    /// Rooms (every member sends, paced by its acks) or one room (one sender paced by a
    /// ``BroadcastWindow``): the deliveries in the measured window and their delays.
    func runRooms(receivers: Int, servers: ServerProcesses, group: MultiThreadedEventLoopGroup) async throws -> Measured {
        let tally = DeliveryTally()
        let events = roomEvents
        let members: [RoomBenchMember]
        let senders: [RoomBenchMember]
        if scenario == .rooms {
            members = (0..<(rooms * self.members)).map { index in
                RoomBenchMember(index: index, events: events, room: "bench-\(index / self.members)", tally: tally,
                                window: nil, joined: group.next().makePromise())
            }
            senders = members
        } else {
            let sender = Locked<RoomBenchMember?>(nil)
            let window = BroadcastWindow(receivers: receivers) {
                guard let member = sender.withLock({ $0 }), let connection = member.connection else { return }
                connection.client.eventLoop.execute { member.sendNext() }
            }
            members = (0..<receivers).map { index in
                RoomBenchMember(index: index, events: events, room: "bench-0", tally: tally, window: window,
                                joined: group.next().makePromise())
            }
            let one = RoomBenchMember(index: receivers, events: events, room: "bench-0", tally: tally, window: window,
                                      joined: group.next().makePromise())
            sender.withLock { $0 = one }
            senders = [one]
        }
        defer {
            tally.stop()
            close((scenario == .rooms ? members : members + senders).compactMap(\.connection?.channel))
        }
        try await connect(members, joining: true, group: group)
        if scenario == .room { try await connect(senders, joining: false, group: group) }
        for sender in senders {
            guard let connection = sender.connection else { continue }
            let count = scenario == .room ? inFlight ?? 4 : 1
            connection.client.eventLoop.execute { for _ in 0..<count { sender.sendNext() } }
        }
        try await Task.sleep(for: .seconds(warmup))
        guard tally.warmupDeliveries > 0 || warmup == 0 else {
            throw EdgeBenchFailure(description: "no \(receiveEvent) delivered within the warm-up: does the server handle " +
                "\(joinEvent) and \(sendEvent)?")
        }
        let before = servers.sample()
        tally.beginMeasuring()
        try await Task.sleep(for: .seconds(duration))
        tally.stop()
        let usage = servers.sample().since(before)
        let result = tally.result()
        return Measured(operations: result.deliveries, seconds: result.seconds,
                        p50Us: Int(result.histogram.valueAtPercentile(50)), p99Us: Int(result.histogram.valueAtPercentile(99)),
                        usage: usage, errors: result.refusals)
    }

    /// Opens a socket for each of `members`, at most --connecting at a time, and (when `joining`)
    /// waits until each joined its room.
    private func connect(_ members: [RoomBenchMember], joining: Bool, group: MultiThreadedEventLoopGroup) async throws {
        let dialer = client.dialer(group: group)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            var next = 0
            func start() {
                let member = members[next]
                tasks.addTask {
                    member.connection = try await dialer.openRetrying(load: nil, onEvent: { member.received($0) })
                    guard joining else { return }
                    member.join()
                    try await member.joined.futureResult.get()
                }
                next += 1
            }
            while next < min(client.connecting, members.count) { start() }
            while try await tasks.next() != nil {
                if next < members.count { start() }
            }
        }
    }

    /// Closes every channel (the server sees a normal TCP close).
    func close(_ channels: [Channel]) {
        for channel in channels { channel.close(promise: nil) }
    }
}
