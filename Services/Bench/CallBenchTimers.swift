import Bus
import Contracts
import Foundation
import Histogram
import NIOCore
import SwitchboardKit
import Synchronization

/// The timer part of `switchboard-bench call`: `--timers` calls ringing at once, each between
/// its own user and telecaller, driven over the bus as an edge would drive them, left to be
/// MISSED by the call service's ring timer.
struct CallBenchTimers {
    /// The figures of a finished timer run.
    struct Result: Sendable {
        /// Calls attempted.
        var timers = 0
        /// Seconds the call service took to apply the sockets' `connected` facts.
        var factSeconds = 0.0
        /// Calls whose `call:initiate` reply held `call:ringing`.
        var rung = 0
        /// Initiates refused or failed, by reason.
        var errors: [String: Int] = [:]
        /// Microseconds from `call:initiate` published to its reply (over the bus, no edge).
        var initiateReply = Histogram<UInt64>()
        /// Seconds from the first initiate to the last reply.
        var initiateSeconds = 0.0
        /// Calls still ringing (no `call:missed` seen) when the last reply came.
        var pendingAtPeak = 0
        /// Calls whose `call:missed` was seen for both the user and the telecaller.
        var missedBoth = 0
        /// `call:missed` emits beyond the first per call and side.
        var duplicates = 0
        /// Misses seen before initiate sent + ring timeout (a wrong --ring-timeout-ms).
        var early = 0
        /// Microseconds from initiate sent + ring timeout to the first `call:missed` of the call:
        /// an upper bound of the lateness (the service set the deadline after the send).
        var lateness = Histogram<UInt64>()
        /// The same from the initiate's reply + ring timeout: a lower bound (the service set the
        /// deadline before its reply); negative values count as 0.
        var latenessFromReply = Histogram<UInt64>()
        /// The call process before the initiates.
        var before: ProcessUsage?
        /// The call process when the last initiate's reply came.
        var peak: ProcessUsage?
        /// The call process after the last miss.
        var after: ProcessUsage?

        /// `true` when every call rang and was missed exactly once on each side.
        var isClean: Bool { rung == timers && missedBoth == timers && duplicates == 0 && errors.isEmpty }
    }

    /// What the emits on topic `edge` showed, per call id.
    private struct Seen {
        var online = 0
        var sent: [String: (sent: NIODeadline, replied: NIODeadline)] = [:]
        var misses: [String: (user: Int, telecaller: Int)] = [:]
        var early = 0
        var lateness = Histogram<UInt64>()
        var latenessFromReply = Histogram<UInt64>()
    }

    /// The settings.
    let command: CallBenchCommand
    /// The bus, seeded already.
    let bus: CallBenchBus
    /// The call process, for its memory and CPU time.
    let pid: Int32

    /// Connects the sockets, initiates every call, waits for every miss; returns the figures.
    func run() async throws -> Result {
        let count = command.timers
        let ring = TimeAmount.milliseconds(Int64(command.ringTimeoutMs))
        let seen = Locked(Seen())
        bus.watchEmits { now, emit in
            if emit.event == "telecaller:presence-changed", emit.args.first?["presence"]?.stringValue == "ONLINE",
               emit.args.first?["telecallerId"]?.stringValue?.hasPrefix("timer-t") == true
            {
                seen.withLock { $0.online += 1 }
            }
            guard emit.event == "call:missed", let id = emit.args.first?["callId"]?.stringValue else { return }
            seen.withLock { seen in
                guard let times = seen.sent[id] else { return }
                var sides = seen.misses[id] ?? (0, 0)
                if sides == (0, 0) {
                    let late = now - (times.sent + ring)
                    if late.nanoseconds < 0 { seen.early += 1 } else { seen.lateness.record(UInt64(late.nanoseconds / 1000)) }
                    seen.latenessFromReply.record(UInt64(max(0, (now - (times.replied + ring)).nanoseconds / 1000)))
                }
                if emit.ns == "/user" { sides.user += 1 } else { sides.telecaller += 1 }
                seen.misses[id] = sides
            }
        }
        // The users first: once the last telecaller is announced ONLINE, every fact was applied
        // (a service handles messages in arrival order).
        let factStart = ContinuousClock.now
        for ns in ["/user", "/telecaller"] {
            for i in 0..<count { bus.publishFact("connected", ns: ns, sid: sid(i, ns), user: identity(i, ns)) }
        }
        guard await waitForProgress(count, { seen.withLock { $0.online } }) else {
            throw BenchFailure(description: "only \(seen.withLock { $0.online }) of \(count) telecallers " +
                "announced ONLINE: did the call service take the life facts?")
        }
        var result = Result(timers: count, factSeconds: milliseconds(since: factStart) / 1000,
                            before: try ProcessUsage(pid: pid))
        let replies = Locked(result)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                if i >= command.inFlight { await group.next() }
                group.addTask { await initiate(i, seen: seen, into: replies) }
            }
        }
        result = replies.withLock { $0 }
        result.initiateSeconds = milliseconds(since: start) / 1000
        result.peak = try ProcessUsage(pid: pid)
        result.pendingAtPeak = result.rung - seen.withLock { $0.misses.count }
        await waitForMisses(result.rung, seen: seen)
        result.after = try ProcessUsage(pid: pid)
        seen.withLock { seen in
            result.missedBoth = seen.misses.values.count { $0.user >= 1 && $0.telecaller >= 1 }
            result.duplicates = seen.misses.values.reduce(0) { $0 + max(0, $1.user - 1) + max(0, $1.telecaller - 1) }
            result.early = seen.early
            result.lateness = seen.lateness
            result.latenessFromReply = seen.latenessFromReply
        }
        for i in 0..<count { publishFacts("disconnected", i) }
        return result
    }

    /// Sends call `i`'s initiate and records its reply.
    private func initiate(_ i: Int, seen: Locked<Seen>, into result: Locked<Result>) async {
        let sent = NIODeadline.now()
        let argument: JSON = ["telecallerId": .string("timer-t\(i)"), "callType": "AUDIO"]
        let reply: Envelope
        do {
            reply = try await bus.request("call:initiate", argument, ns: "/user", sid: sid(i, "/user"),
                                          user: identity(i, "/user"))
        } catch {
            result.withLock { $0.errors["\(error)", default: 0] += 1 }
            return
        }
        let replied = NIODeadline.now()
        let elapsed = UInt64(max(0, (replied - sent).nanoseconds / 1000))
        let emits = ((try? reply.decodeBody(as: [Instruction].self)) ?? []).compactMap { instruction -> Emit? in
            if case .emit(let emit) = instruction { emit } else { nil }
        }
        if let ringing = emits.first(where: { $0.event == "call:ringing" }),
           let id = ringing.args.first?["callId"]?.stringValue
        {
            seen.withLock { $0.sent[id] = (sent, replied) }
            result.withLock { result in
                result.rung += 1
                result.initiateReply.record(elapsed)
            }
        } else {
            let message = emits.first { $0.event == "call:error" }?.args.first?["message"]?.stringValue
            result.withLock { $0.errors[message ?? reply.header.error ?? "no call:ringing", default: 0] += 1 }
        }
    }

    /// Waits until `calls` calls were missed on both sides, or nothing new came for the ring
    /// timeout plus `--timeout` seconds.
    private func waitForMisses(_ calls: Int, seen: Locked<Seen>) async {
        let patience = Double(command.ringTimeoutMs) / 1000 + command.timeout
        _ = await waitForProgress(calls, patience: patience) {
            seen.withLock { $0.misses.values.count { $0.user >= 1 && $0.telecaller >= 1 } }
        }
        // Late duplicates would show up here.
        try? await Task.sleep(for: .seconds(1))
    }

    /// Waits until `count()` reaches `target`; `false` when it did not change for `patience`
    /// seconds (default `--timeout`).
    private func waitForProgress(_ target: Int, patience: Double? = nil, _ count: () -> Int) async -> Bool {
        var last = -1
        var lastProgress = ContinuousClock.now
        while true {
            let now = count()
            if now >= target { return true }
            if now != last {
                (last, lastProgress) = (now, .now)
            } else if ContinuousClock.now - lastProgress > .seconds(patience ?? command.timeout) {
                return false
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Publishes fact `kind` for the user and the telecaller of call `i`.
    private func publishFacts(_ kind: String, _ i: Int) {
        for ns in ["/telecaller", "/user"] {
            bus.publishFact(kind, ns: ns, sid: sid(i, ns), user: identity(i, ns))
        }
    }

    /// The socket id of call `i`'s party on `ns`.
    private func sid(_ i: Int, _ ns: String) -> String {
        "\(bus.instance)-\(ns == "/user" ? "u" : "t")\(i)"
    }

    /// The identity of call `i`'s party on `ns`.
    private func identity(_ i: Int, _ ns: String) -> Identity {
        ns == "/user" ? Identity(id: "timer-u\(i)", role: "USER") : Identity(id: "timer-t\(i)", role: "TELECALLER")
    }
}
