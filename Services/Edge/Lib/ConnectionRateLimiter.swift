/// Connection attempts per key (address and namespace) in a sliding window, as a value type:
/// the time is given, never read. The telecaller contract's rule is 10 per minute.
struct ConnectionRateLimiter: Sendable {
    /// The limit.
    struct Configuration: Sendable, Equatable {
        /// Attempts allowed per window. Default 10.
        var limit = 10
        /// Window length in milliseconds. Default 60,000.
        var windowMilliseconds: Int64 = 60_000

        /// The defaults.
        init() {}
    }

    /// The limit in force.
    let configuration: Configuration
    private var attempts: [String: [Int64]] = [:]

    /// A limiter with `configuration`.
    init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Records an attempt for `key` at `now`; `false` when it is over the limit (a refused
    /// attempt counts too, so hammering does not reopen the window).
    mutating func allow(_ key: String, at now: Int64) -> Bool {
        var recent = attempts[key, default: []].filter { now - $0 < configuration.windowMilliseconds }
        recent.append(now)
        if recent.count > configuration.limit * 2 { recent.removeFirst(recent.count - configuration.limit * 2) }
        attempts[key] = recent
        return recent.count <= configuration.limit
    }

    /// Forgets keys with no attempt inside the window (call now and then to bound memory).
    mutating func prune(at now: Int64) {
        attempts = attempts.filter { _, times in times.contains { now - $0 < configuration.windowMilliseconds } }
    }

    /// Keys currently remembered.
    var trackedKeys: Int { attempts.count }
}
