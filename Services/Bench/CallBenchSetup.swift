import Contracts
import Foundation
import Histogram
import NIOCore
import SwitchboardKit
import Synchronization

/// The set-up part of `switchboard-bench call`: real Socket.IO clients on `/telecaller` and
/// `/user`; each telecaller serves its calls one after the other (`call:initiate` from the next
/// user, `call:incoming` + `call:ringing`, `call:reject`, `call:rejected`).
struct CallBenchSetup {
    /// The figures of a finished set-up run.
    struct Result: Sendable {
        /// Calls attempted.
        var calls: Int
        /// Calls that reached both `call:incoming` and `call:ringing`.
        var rung = 0
        /// Microseconds from `call:initiate` sent to `call:incoming` at the telecaller.
        var incoming = Histogram<UInt64>()
        /// Microseconds from `call:initiate` sent to `call:ringing` at the user.
        var ringing = Histogram<UInt64>()
        /// `call:error` messages and missing answers, by text.
        var errors: [String: Int] = [:]
        /// Seconds the calls took in all.
        var seconds = 0.0
        /// Sockets (users + telecallers) that joined.
        var sockets = 0

        /// `true` when every call rang on both sides and nothing failed.
        var isClean: Bool { rung == calls && errors.isEmpty }
    }

    /// What the current call of one user has seen (times are when the client read the packet).
    struct Progress: Sendable {
        /// When `call:initiate` was handed to the client.
        var sent = NIODeadline.now()
        /// The call's id, from `call:incoming`.
        var callID: String?
        /// When `call:incoming` reached the telecaller.
        var incoming: NIODeadline?
        /// When `call:ringing` reached the user.
        var ringing: NIODeadline?
        /// Whether `call:rejected` reached the user.
        var rejected = false
        /// The message of a `call:error` the user got.
        var error: String?
    }

    /// The settings.
    let command: CallBenchCommand
    /// Opens the Socket.IO connections.
    let dialer: EdgeBenchDialer

    /// Connects the telecallers, then the users (so no telecaller's coming online is sent to
    /// users), runs the calls and returns the figures.
    func run() async throws -> Result {
        let users = command.setupUsers
        let progress = Locked([Progress](repeating: Progress(), count: users))
        let telecallers = try await connect(command.telecallers, prefix: "bench-t", ns: "/telecaller",
                                            role: "TELECALLER", progress: progress)
        let callers: [EdgeBenchDialer.Opened]
        do {
            callers = try await connect(users, prefix: "bench-u", ns: "/user", role: "USER", progress: progress)
        } catch {
            close(telecallers)
            throw error
        }
        let result = Locked(Result(calls: command.calls, sockets: telecallers.count + callers.count))
        let start = ContinuousClock.now
        // Telecaller k serves calls k, k + T, k + 2T, …; call c comes from user c mod U, so the
        // T calls being set up at once come from T different users, and a user's next call is
        // U / T turns later.
        let (count, width, timeout) = (command.calls, command.telecallers, command.timeout)
        await withTaskGroup(of: Void.self) { group in
            for k in 0..<width {
                group.addTask {
                    for call in stride(from: k, to: count, by: width) {
                        let user = call % users
                        let outcome = await Self.serve(user: user, telecaller: k, caller: callers[user],
                                                       callee: telecallers[k], progress: progress, timeout: timeout)
                        result.withLock { result in
                            switch outcome {
                            case .success(let (incoming, ringing)):
                                result.rung += 1
                                result.incoming.record(incoming)
                                result.ringing.record(ringing)
                            case .failure(let failure):
                                result.errors[failure.description, default: 0] += 1
                            }
                        }
                    }
                }
            }
        }
        close(telecallers + callers)
        return result.withLock { result in
            result.seconds = milliseconds(since: start) / 1000
            return result
        }
    }

    /// One call from `user` to telecaller `telecaller`: the set-up times in µs (incoming,
    /// ringing), or why it failed. The call is rejected again before this returns.
    static func serve(user: Int, telecaller: Int, caller: EdgeBenchDialer.Opened, callee: EdgeBenchDialer.Opened,
                      progress: Locked<[Progress]>, timeout: Double) async -> Swift.Result<(UInt64, UInt64), BenchFailure>
    {
        progress.withLock { $0[user] = Progress() }
        let initiate = #"/user,["call:initiate",{"telecallerId":"bench-t\#(telecaller)","callType":"AUDIO"}]"#
        caller.client.eventLoop.execute { caller.client.value.emit(initiate) }
        guard let rang = await waitFor(timeout, { progress.withLock { entry -> Progress? in
            let call = entry[user]
            return call.error != nil || (call.incoming != nil && call.ringing != nil) ? call : nil
        } }) else { return .failure(BenchFailure(description: "no call:incoming + call:ringing")) }
        if let error = rang.error { return .failure(BenchFailure(description: "call:error \(error)")) }
        guard let id = rang.callID, let incoming = rang.incoming, let ringing = rang.ringing else {
            return .failure(BenchFailure(description: "call:incoming without callId"))
        }
        let reject = #"/telecaller,["call:reject",{"callId":"\#(id)"}]"#
        callee.client.eventLoop.execute { callee.client.value.emit(reject) }
        guard await waitFor(timeout, { progress.withLock { $0[user].rejected ? true : nil } }) != nil else {
            return .failure(BenchFailure(description: "no call:rejected"))
        }
        func micros(_ end: NIODeadline) -> UInt64 { UInt64(max(0, (end - rang.sent).nanoseconds / 1000)) }
        return .success((micros(incoming), micros(ringing)))
    }

    /// Polls `check` every millisecond until it gives a value; `nil` after `timeout` seconds.
    static func waitFor<T>(_ timeout: Double, _ check: () -> T?) async -> T? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let value = check() { return value }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    /// Opens `count` connections, connection i joining `ns` as `<prefix><i>`; each reports its
    /// events into `progress`. Throws unless all joined.
    private func connect(_ count: Int, prefix: String, ns: String, role: String,
                         progress: Locked<[Progress]>) async throws -> [EdgeBenchDialer.Opened]
    {
        let command = command
        let opened = await withTaskGroup(of: (Int, EdgeBenchDialer.Opened?).self) { group in
            var opened = [EdgeBenchDialer.Opened?](repeating: nil, count: count)
            var next = 0
            func start() {
                let index = next
                let join = EdgeBenchConnection.Join(namespace: ns, auth: command.auth(id: "\(prefix)\(index)", role: role))
                let onEvent: EdgeBenchConnection.EventHandler = { Self.received($0, user: index, ns: ns, progress: progress) }
                group.addTask { (index, try? await dialer.openRetrying(load: nil, onEvent: onEvent, joins: [join])) }
                next += 1
            }
            while next < min(count, command.client.connecting) { start() }
            for await (index, connection) in group {
                opened[index] = connection
                if next < count { start() }
            }
            return opened
        }
        let joined = opened.compactMap { $0 }
        guard joined.count == count else {
            close(joined)
            throw BenchFailure(description: "\(count - joined.count) of \(count) sockets could not join \(ns) " +
                "at \(command.client.url) (connectionsPerMinute of the edge? accounts seeded?)")
        }
        return joined
    }

    /// One event for connection `user` (a user index on `/user`, a telecaller index on
    /// `/telecaller`): the part after `42`, e.g. `/user,["call:ringing",{…}]`.
    private static func received(_ packet: ArraySlice<UInt8>, user: Int, ns: String, progress: Locked<[Progress]>) {
        let now = NIODeadline.now()
        guard let open = packet.firstIndex(of: UInt8(ascii: "[")) else { return }
        let body = packet[open...]
        let name = Self.eventNames.first { body.starts(with: $0.prefix) }?.name
        guard let name, let array = try? JSONCoding.decode(JSON.self, from: Data(body)), let payload = array[1] else { return }
        progress.withLock { list in
            switch name {
            case "call:incoming":
                guard let id = payload["caller"]?["_id"]?.stringValue, id.hasPrefix("bench-u"),
                      let caller = Int(id.dropFirst(7)), list.indices.contains(caller) else { return }
                list[caller].incoming = now
                list[caller].callID = payload["callId"]?.stringValue
            case "call:ringing": list[user].ringing = now
            case "call:rejected": list[user].rejected = true
            default: if ns == "/user" { list[user].error = payload["message"]?.stringValue ?? "?" }
            }
        }
    }

    /// The events this part reads, and how their packets begin (others, such as
    /// `telecaller:presence-changed`, are skipped without parsing).
    private static let eventNames = ["call:incoming", "call:ringing", "call:rejected", "call:error"]
        .map { (name: $0, prefix: Array("[\"\($0)\"".utf8)) }

    /// Closes every connection.
    private func close(_ opened: [EdgeBenchDialer.Opened]) {
        for connection in opened { connection.channel.close(promise: nil) }
    }
}
