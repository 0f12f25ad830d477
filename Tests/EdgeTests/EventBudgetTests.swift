import Testing
@testable import Edge

/// A socket's event allowance: a bucket of `burst` events refilled at `perSecond`.
@Suite struct EventBudgetTests {
    /// `count` attempts at `now`: which were allowed.
    func spend(_ budget: inout EventBudget, at now: Int64, count: Int = 1) -> [Bool] {
        (0..<count).map { _ in budget.spend(at: now) }
    }

    @Test func theBurstThenTheRate() {
        var budget = EventBudget(configuration: .init(perSecond: 5, burst: 3), now: 0)
        #expect(spend(&budget, at: 0, count: 4) == [true, true, true, false])
        #expect(spend(&budget, at: 100) == [false], "half an event refilled")
        #expect(spend(&budget, at: 200, count: 2) == [true, false], "one event refilled at 5 a second")
        #expect(spend(&budget, at: 60_000, count: 4) == [true, true, true, false], "never above the burst")
    }

    @Test func zeroIsNoLimit() {
        var budget = EventBudget(configuration: .init(perSecond: 0, burst: 0), now: 0)
        #expect(spend(&budget, at: 0, count: 10_000).allSatisfy { $0 })
    }

    @Test func aClockGoingBackRefillsNothing() {
        var budget = EventBudget(configuration: .init(perSecond: 1000, burst: 1), now: 1000)
        #expect(spend(&budget, at: 1000) == [true])
        #expect(spend(&budget, at: 500) == [false])
    }
}
