/// A socket's allowance of client events, as a value: a token bucket that holds up to `burst`
/// events and refills at `perSecond`. The time is given in milliseconds, never read.
struct EventBudget: Sendable, Equatable {
    /// The rate and the burst.
    struct Configuration: Sendable, Equatable {
        /// Events per second on average; 0 for no limit. Default 200.
        var perSecond = 200
        /// Events allowed at once beyond the rate. Default 1,000.
        var burst = 1_000
    }

    /// The limit in force.
    let configuration: Configuration
    /// Events that may be sent now (fractions accrue between events).
    private(set) var tokens: Double
    private var last: Int64

    /// A full bucket at `now`.
    init(configuration: Configuration, now: Int64) {
        self.configuration = configuration
        tokens = Double(max(configuration.burst, 1))
        last = now
    }

    /// Spends one event at `now`; `false` when the socket is over its rate (nothing is spent).
    mutating func spend(at now: Int64) -> Bool {
        guard configuration.perSecond > 0 else { return true }
        let refill = Double(max(now - last, 0)) * Double(configuration.perSecond) / 1000
        tokens = min(Double(max(configuration.burst, 1)), tokens + refill)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
