/// A limit of `count` attempts per sliding window of `windowMs` milliseconds.
public struct RateLimit: Sendable, Equatable {
    /// Attempts allowed per window.
    public var count: Int
    /// Window length in milliseconds.
    public var windowMs: Int64

    /// A limit of `count` per `windowMs`.
    public init(count: Int, windowMs: Int64) {
        self.count = count
        self.windowMs = windowMs
    }

    /// `count` attempts per minute.
    public static func perMinute(_ count: Int) -> RateLimit {
        RateLimit(count: count, windowMs: 60_000)
    }
}

/// Sliding-window counters per key. Only allowed attempts are counted, so a client that keeps
/// trying is let through again as soon as its oldest allowed attempt leaves the window.
/// Kept in memory only: a restarted service starts with empty windows.
public struct RateLimiter: Sendable, Equatable {
    /// The limit every key shares.
    public var limit: RateLimit
    /// Times of the allowed attempts still inside the window, per key, oldest first.
    private var hits: [String: [Int64]] = [:]
    /// When ``prune(now:)`` last looked at every key.
    private var prunedAt: Int64?

    /// An empty limiter for `limit`.
    public init(limit: RateLimit) {
        self.limit = limit
    }

    /// Records an attempt for `key` at `now` and says whether it is allowed.
    public mutating func allow(_ key: String, now: Int64) -> Bool {
        var times = hits[key, default: []].filter { $0 > now - limit.windowMs }
        guard times.count < limit.count else {
            hits[key] = times
            return false
        }
        times.append(now)
        hits[key] = times
        return true
    }

    /// Forgets keys whose attempts have all left the window (keeps memory bounded); looks at
    /// every key at most once a second (``allow(_:now:)`` reads only its own key's window).
    /// Returns what it forgot, `nil` when it did not look.
    @discardableResult
    public mutating func prune(now: Int64) -> Pruned? {
        if let prunedAt, now >= prunedAt, now - prunedAt < 1000 { return nil }
        let stale = hits.filter { $0.value.last.map { $0 <= now - limit.windowMs } ?? true }
        let pruned = Pruned(prunedAt: prunedAt, windows: stale)
        prunedAt = now
        for key in pruned.windows.keys { hits[key] = nil }
        return pruned
    }

    /// What one ``prune(now:)`` forgot.
    public struct Pruned: Sendable, Equatable {
        /// When the limiter had pruned before.
        var prunedAt: Int64?
        /// The windows it dropped, by key.
        var windows: [String: [Int64]]
    }

    /// The times of `key`'s allowed attempts as recorded (some may have left the window).
    func window(of key: String) -> [Int64]? {
        hits[key]
    }

    /// Puts back `key`'s recorded times as ``window(of:)`` read them.
    mutating func restore(_ window: [Int64]?, of key: String) {
        hits[key] = window
    }

    /// Puts back what a ``prune(now:)`` forgot.
    mutating func unprune(_ pruned: Pruned) {
        prunedAt = pruned.prunedAt
        hits.merge(pruned.windows) { _, old in old }
    }
}
