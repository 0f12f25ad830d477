import Contracts
import Testing
@testable import Call

/// Ring timeouts, the accept/timeout race, restarts, and balance-limited calls.
@Suite struct DeadlineTests {
    /// Unanswered for 30 s: MISSED once, `call:missed` to both, `endedAt` is the deadline.
    @Test func missedOnce() {
        var h = Harness()
        h.initiate()
        h.now = t0 + 29_999
        #expect(h.expire() == CallOutcome())
        h.now = t0 + 45_000
        let outcome = h.expire()
        let call = h.book.calls["c1"]!
        #expect(outcome.instructions == [toUser("u1", "call:missed", callPayload("c1")),
                                         toTelecaller("t1", "call:missed", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(outcome.effects == [.store(call)])
        #expect(call.status == .missed && call.endReason == .ringTimeout && call.endedAt == t0 + 30_000)
        #expect(h.expire() == CallOutcome())
        #expect(h.book.nextDeadline == nil)
    }

    /// The ring timeout is configurable.
    @Test func configurableTimeout() {
        var configuration = CallBook.Configuration()
        configuration.ringTimeoutMs = 10_000
        var h = Harness(configuration: configuration)
        h.initiate()
        #expect(h.book.nextDeadline == t0 + 10_000)
    }

    /// Accept one millisecond before the deadline wins; the timer then finds nothing to miss.
    @Test func acceptBeatsTimer() {
        var h = Harness()
        h.initiate()
        h.now = t0 + 29_999
        #expect(h.send(telecallerSocket("t1"), "call:accept", callPayload("c1")).errors.isEmpty)
        h.now = t0 + 30_000
        #expect(h.expire() == CallOutcome())
        #expect(h.book.calls["c1"]?.status == .accepted)
    }

    /// Accept at the deadline loses even before the timer ran: the call is MISSED first
    /// (`call:missed` to both) and the accept is refused.
    @Test func timerBeatsAccept() {
        var h = Harness()
        h.initiate()
        h.now = t0 + 30_000
        let outcome = h.send(telecallerSocket("t1"), "call:accept", callPayload("c1"))
        #expect(outcome.emits.map(\.event) == ["call:missed", "call:missed", "telecaller:presence-changed",
                                               "call:error"])
        #expect(outcome.errors == ["This call is no longer ringing."])
        #expect(h.book.calls["c1"]?.status == .missed)
        #expect(h.expire() == CallOutcome())
    }

    /// A restarted book fires overdue deadlines at once and the others on time.
    @Test func restart() {
        let overdue = Call(id: "a", userId: "u1", telecallerId: "t1", callType: .audio, ratePerMinute: 10,
                           initiatedAt: t0 - 40_000, ringDeadline: t0 - 10_000, userSid: "s1")
        let pending = Call(id: "b", userId: "u2", telecallerId: "t2", callType: .video, ratePerMinute: 10,
                           initiatedAt: t0 - 10_000, ringDeadline: t0 + 20_000, userSid: "s2")
        let talking = Call(id: "c", userId: "u4", telecallerId: "t5", callType: .audio, ratePerMinute: 0,
                           status: .accepted, initiatedAt: t0 - 90_000, ringDeadline: t0 - 60_000,
                           acceptedAt: t0 - 80_000, userSid: "s4", telecallerSid: "s5")
        var h = Harness(calls: [overdue, pending, talking], connected: [])
        let first = h.expire()
        #expect(first.instructions == [toUser("u1", "call:missed", callPayload("a")),
                                       toTelecaller("t1", "call:missed", callPayload("a"))])
        #expect(h.book.calls["a"]?.endedAt == t0 - 10_000)
        #expect(h.book.nextDeadline == t0 + 20_000)
        h.now = t0 + 20_000
        #expect(h.expire().emits.map(\.args) == [[callPayload("b")], [callPayload("b")]])
        #expect(h.book.calls["b"]?.status == .missed)
        #expect(h.book.calls["c"]?.status == .accepted)
        #expect(h.book.nextDeadline == nil)
    }

    /// The next deadline skips calls that stopped ringing and follows calls that ring later;
    /// a party's live call is found again after it ended (the book's index follows every change).
    @Test func deadlinesFollowChanges() {
        var h = Harness(connected: [userSocket("u1"), userSocket("u2"), telecallerSocket("t1"), telecallerSocket("t2")])
        h.initiate(callID: "c1")
        h.now = t0 + 1_000
        h.initiate(userSocket("u2"), to: "t2", callID: "c2")
        #expect(h.book.nextDeadline == t0 + 30_000)
        h.send(userSocket("u1"), "call:cancel", callPayload("c1"))
        #expect(h.book.nextDeadline == t0 + 31_000)
        h.now = t0 + 2_000
        h.initiate(callID: "c3")
        #expect(h.book.calls["c3"]?.status == .ringing && h.book.nextDeadline == t0 + 31_000)
        h.send(telecallerSocket("t2"), "call:accept", callPayload("c2"))
        #expect(h.book.nextDeadline == t0 + 32_000)
        h.now = t0 + 32_000
        #expect(h.expire().emits.map(\.event) == ["call:missed", "call:missed", "telecaller:presence-changed"])
        #expect(h.book.calls["c3"]?.status == .missed && h.book.nextDeadline == t0 + 2_000 + 100 * 60_000)
        #expect(h.initiate(callID: "c4").errors.isEmpty && h.book.calls["c4"]?.status == .ringing)
        #expect(h.initiate(userSocket("u2"), to: "t1", callID: "c5").errors == [
            "Jane is busy on another call. Please try again later."])
    }

    /// Final calls stay for the retention (precise errors), then leave the book.
    @Test func retention() {
        var h = Harness()
        h.initiate()
        h.send(userSocket("u1"), "call:cancel", callPayload("c1"))
        h.now += 299_999
        #expect(h.send(userSocket("u1"), "call:cancel", callPayload("c1")).errors == ["This call is no longer ringing."])
        h.now += 1
        #expect(h.send(userSocket("u1"), "call:cancel", callPayload("c1")).errors == ["Call not found."])
    }
}

/// `reconcile(now:)` after a restart and a replayed snapshot.
@Suite struct ReconcileTests {
    /// Calls whose owning sockets came back survive; the others end as if disconnected.
    @Test func endsOrphans() {
        /// A live call from `user` to `telecaller`, accepted or ringing.
        func call(_ id: String, _ user: String, _ telecaller: String, accepted: Bool) -> Call {
            Call(id: id, userId: user, telecallerId: telecaller, callType: .audio, ratePerMinute: 0,
                 status: accepted ? .accepted : .ringing, initiatedAt: t0 - 1_000, ringDeadline: t0 + 29_000,
                 acceptedAt: accepted ? t0 - 500 : nil, userSid: "su-\(user)",
                 telecallerSid: accepted ? "st-\(telecaller)" : nil)
        }
        let calls = [call("a", "u1", "t1", accepted: true), call("b", "u2", "t2", accepted: true),
                     call("c", "u4", "t5", accepted: false), call("d", "u3", "t4", accepted: false)]
        var h = Harness(calls: calls, connected: [userSocket("u1"), telecallerSocket("t1"), userSocket("u2"),
                                                  telecallerSocket("t2", "st-other"), userSocket("u4"),
                                                  telecallerSocket("t5", "st-any")])
        let outcome = h.book.reconcile(now: t0)
        #expect(outcome.emits.filter { $0.event.hasPrefix("call:") }.map(\.event) == ["call:ended", "call:missed", "call:missed"])
        #expect(h.book.calls.mapValues(\.status) == ["a": .accepted, "b": .completed, "c": .ringing, "d": .missed])
        #expect(h.book.calls["b"]?.endReason == .telecallerDisconnected)
        #expect(h.book.calls["d"]?.endReason == .userDisconnected)
        #expect(h.book.reconcile(now: t0) == CallOutcome())
    }
}
