import Testing
@testable import Edge

@Suite struct ConnectionRateLimiterTests {
    @Test func tenPerMinutePerKey() {
        var limiter = ConnectionRateLimiter()
        let firstTen = (0..<10).map { limiter.allow("1.2.3.4 /user", at: Int64($0)) }
        #expect(firstTen == Array(repeating: true, count: 10))
        let eleventh = limiter.allow("1.2.3.4 /user", at: 10)
        let otherNamespace = limiter.allow("1.2.3.4 /telecaller", at: 10)
        let otherAddress = limiter.allow("5.6.7.8 /user", at: 10)
        #expect(!eleventh)
        #expect(otherNamespace, "another namespace has its own budget")
        #expect(otherAddress, "another address has its own budget")
    }

    @Test func theWindowSlides() {
        var limiter = ConnectionRateLimiter()
        for i in 0..<10 { _ = limiter.allow("k", at: Int64(i) * 1000) }
        let atTheEnd = limiter.allow("k", at: 59_999)
        // At 60 s the first attempt (t=0) left the window, but the refused one at 59.999 s counts.
        let afterOneLeft = limiter.allow("k", at: 60_000)
        let muchLater = limiter.allow("k", at: 125_000)
        #expect(!atTheEnd)
        #expect(!afterOneLeft)
        #expect(muchLater)
    }

    @Test func pruneForgetsQuietKeys() {
        var limiter = ConnectionRateLimiter()
        _ = limiter.allow("a", at: 0)
        _ = limiter.allow("b", at: 50_000)
        limiter.prune(at: 70_000)
        #expect(limiter.trackedKeys == 1)
    }
}
