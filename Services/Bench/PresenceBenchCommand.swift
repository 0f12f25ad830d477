import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import SwitchboardKit

/// `switchboard-bench presence`: HomeAssistant's online list through a Socket.IO server. It
/// measures how fast `newOnlineUser` Adds reach a watching client, and how long after a user's
/// last tab closes its `Remove` arrives, checking that no `Remove` comes early.
struct PresenceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presence",
        abstract: "newOnlineUser Add throughput and Remove delay through a Socket.IO server.",
        discussion: """
            Opens one watcher socket on `/`, then --users × --tabs sockets (the tabs of user u). \
            Once all joined, every tab emits `addOnlineUser {userID: "<u>", userUsername: "u<u>"}` \
            (no ack) and the watcher counts `newOnlineUser {type: "Add"}` until every user arrived: \
            Add events/s and the time to reach all users. Then the churn: first every user's tabs \
            but the last are closed, one socket at a time, then the last tabs, one by one \
            (--close-interval apart). For each user it records the time from closing its last tab \
            to the watcher's `Remove` (HdrHistogram, µs). A `Remove` before the last tab closed is \
            a violation, and every user must get exactly one Add and one Remove. The server needs \
            presence (Switchboard: the `presence` service) and `/` without required auth.
            """
    )

    @OptionGroup var client: SocketIOClientOptions
    @Option(help: "Users announcing themselves.") var users = 1000
    @Option(help: "Sockets (tabs) per user, each announcing the user.") var tabs = 3
    @Option(help: "Milliseconds between closing two users' last tabs.") var closeInterval = 1.0
    @Option(help: "Seconds to wait for the Adds, and for the Removes, without progress.") var timeout = 30.0
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    /// Refuses settings that would measure nothing.
    func validate() throws {
        guard users > 0, tabs > 0, closeInterval >= 0, timeout > 0 else {
            throw ValidationError("counts and durations must be positive")
        }
    }

    /// Raises the open-file limit, runs the two phases, prints the report; exits 2 when
    /// anything was missing, duplicated or early.
    func run() async throws {
        let needed = users * tabs + 64
        let fileLimit = raiseOpenFileLimit()
        if fileLimit < needed {
            FileHandle.standardError.write(Data("warning: open-file limit \(fileLimit) < \(needed) needed\n".utf8))
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: client.threads)
        let dialer = client.dialer(group: group)
        let result: PresenceBenchTally.Result
        do {
            result = try await measure(dialer: dialer)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        let report = PresenceBenchReport(command: self, result: result)
        emitLine(json ? report.json : report.table)
        if !result.isClean { throw ExitCode(2) }
    }

    /// Opens the watcher and the tabs, announces, churns; returns the watcher's tally.
    private func measure(dialer: EdgeBenchDialer) async throws -> PresenceBenchTally.Result {
        let tally = PresenceBenchTally(users: users)
        let watcher = try await dialer.openRetrying(load: nil, onEvent: { tally.watcherEvent($0) })
        let (opened, failed) = await dialer.openAll(count: users * tabs, concurrency: client.connecting, load: nil)
        guard failed == 0 else {
            close(opened + [watcher])
            throw EdgeBenchFailure(description: "\(failed) of \(users * tabs) tabs never joined / at \(client.url)\(client.path)")
        }
        // Tab t of user u is opened[u * tabs + t]; the joining order does not matter.
        tally.beginAnnouncing()
        for (index, tab) in opened.enumerated() {
            let user = index / tabs
            let event = "[\"addOnlineUser\",{\"userID\":\"\(user)\",\"userUsername\":\"u\(user)\"}]"
            tab.client.eventLoop.execute { tab.client.value.emit(event) }
        }
        guard try await waitFor(users, of: { tally.addedUsers }) else {
            close(opened + [watcher])
            throw EdgeBenchFailure(description: "only \(tally.addedUsers) of \(users) Adds within \(timeout) s " +
                "without progress: is presence running?")
        }
        // Late duplicate Adds would show up here.
        try await Task.sleep(for: .seconds(1))
        try await churn(opened, tally: tally)
        _ = try await waitFor(users, of: { tally.removedUsers })
        try await Task.sleep(for: .milliseconds(500))
        watcher.channel.close(promise: nil)
        return tally.result()
    }

    /// Closes every tab but each user's last, one at a time, then the last tabs one by one,
    /// marking each in `tally` just before it closes.
    private func churn(_ opened: [EdgeBenchDialer.Opened], tally: PresenceBenchTally) async throws {
        for index in opened.indices where index % tabs != tabs - 1 {
            try? await opened[index].channel.close()
        }
        for user in 0..<users {
            tally.lastTabClosing(user: user)
            try? await opened[user * tabs + tabs - 1].channel.close()
            if closeInterval > 0 { try await Task.sleep(for: .microseconds(Int(closeInterval * 1000))) }
        }
    }

    /// Waits until `count()` reaches `target`; `false` when it made no progress for `--timeout`
    /// seconds.
    private func waitFor(_ target: Int, of count: () -> Int) async throws -> Bool {
        var last = count()
        var lastProgress = ContinuousClock.now
        while last < target {
            try await Task.sleep(for: .milliseconds(5))
            let now = count()
            if now != last {
                (last, lastProgress) = (now, .now)
            } else if ContinuousClock.now - lastProgress > .seconds(timeout) {
                return false
            }
        }
        return true
    }

    /// Closes every connection (the server sees a normal TCP close).
    private func close(_ opened: [EdgeBenchDialer.Opened]) {
        for connection in opened { connection.channel.close(promise: nil) }
    }
}
