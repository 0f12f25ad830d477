import Contracts
import Testing
@testable import Call

/// Coins: per started minute, at the rate fixed at initiate, never more than the balance.
@Suite struct BillingTests {
    /// Every started minute is billed in full; zero seconds cost nothing.
    @Test(arguments: [(0, 0), (1, 10), (59, 10), (60, 10), (61, 20), (600, 100), (601, 110)] as [(Int64, Int64)])
    func cost(seconds: Int64, coins: Int64) {
        #expect(Call.cost(seconds: seconds, ratePerMinute: 10) == coins)
    }

    /// A call ends by itself when the balance pays for no further minute: 25 coins at 10 a
    /// minute buy two minutes; `call:ended` goes to both, 20 coins are debited, 5 remain.
    @Test func balanceRunsOut() {
        var h = Harness()
        h.book.users["u1"]?.coinBalance = 25
        h.initiate()
        h.now = t0 + 1_000
        h.send(telecallerSocket("t1"), "call:accept", callPayload("c1"))
        #expect(h.book.nextDeadline == t0 + 121_000)
        h.now = t0 + 120_999
        #expect(h.expire() == CallOutcome())
        h.now = t0 + 125_000
        let outcome = h.expire()
        let call = h.book.calls["c1"]!
        #expect(outcome.instructions == [toUser("u1", "call:ended", callPayload("c1")),
                                         toTelecaller("t1", "call:ended", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(outcome.effects == [.store(call), .debit(userId: "u1", coins: 20), .deleteRoom("c1")])
        #expect(call.endReason == .balanceExhausted && call.endedAt == t0 + 121_000)
        #expect(call.durationSeconds == 120 && call.coins == 20)
        #expect(h.book.users["u1"]?.coinBalance == 5)
    }

    /// The deadline follows the current balance: lowered mid-call, the call ends at the end of
    /// the last minute the new balance covers, as soon as any event or timer runs.
    @Test func balanceLoweredMidCall() {
        var h = AnswerTests.accepted()
        h.now = t0 + 95_000
        h.book.users["u1"]?.coinBalance = 15
        let outcome = h.send(userSocket("u2"), "call:cancel", callPayload("zzz"))
        #expect(outcome.emits.map(\.event) == ["call:ended", "call:ended", "telecaller:presence-changed", "call:error"])
        #expect(h.book.calls["c1"]?.endedAt == t0 + 65_000)
        #expect(h.book.calls["c1"]?.coins == 10)
        #expect(h.book.users["u1"]?.coinBalance == 5)
    }

    /// A free telecaller's call has no balance deadline and costs nothing.
    @Test func freeCall() {
        var h = Harness(connected: [userSocket("u4"), telecallerSocket("t5")])
        h.book.users["u4"]?.coinBalance = 0
        h.initiate(userSocket("u4"), to: "t5")
        h.send(telecallerSocket("t5"), "call:accept", callPayload("c1"))
        #expect(h.book.nextDeadline == nil)
        h.now += 3_600_000
        let outcome = h.send(userSocket("u4"), "call:end", callPayload("c1"))
        #expect(outcome.effects == [.store(h.book.calls["c1"]!), .deleteRoom("c1")])
        #expect(h.book.calls["c1"]?.coins == 0 && h.book.calls["c1"]?.durationSeconds == 3_600)
    }

    /// The rate is the one of initiate time, even if the telecaller's rate changes mid-call.
    @Test func rateFixedAtInitiate() {
        var h = AnswerTests.accepted()
        h.book.telecallers["t1"]?.ratePerMinute = 100
        h.now += 10_000
        h.send(userSocket("u1"), "call:end", callPayload("c1"))
        #expect(h.book.calls["c1"]?.coins == 10)
    }

    /// An immediately ended call costs nothing and debits nothing.
    @Test func zeroSeconds() {
        var h = AnswerTests.accepted()
        let outcome = h.send(userSocket("u1"), "call:end", callPayload("c1"))
        #expect(!outcome.effects.contains(.debit(userId: "u1", coins: 0)))
        #expect(h.book.calls["c1"]?.coins == 0 && h.book.users["u1"]?.coinBalance == 1000)
    }
}
