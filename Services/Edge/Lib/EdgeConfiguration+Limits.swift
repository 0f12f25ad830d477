import Foundation

extension EdgeConfiguration {
    /// What keeps one client from holding what the others need. Every limit has a default; the
    /// benchmarks, which open thousands of sockets from one address, turn the counts off with 0.
    struct Limits: Codable, Sendable, Equatable {
        /// Milliseconds an HTTP connection has to send a whole request head, counted from its
        /// opening or from the end of the previous response (a kept-alive connection waiting for
        /// its next request). Default 20,000.
        var headerTimeout: Int64 = 20_000
        /// Milliseconds a request's body may go without a byte. Default 20,000. A request read
        /// whole waits for its answer (a long poll) without this limit.
        var idleTimeout: Int64 = 20_000
        /// CONNECT attempts per address per namespace per minute, on every namespace that sets no
        /// `connectionsPerMinute` of its own; 0 for no limit. Default 600.
        var connectionsPerMinute = 600
        /// Events one socket may send per second, on average; 0 for no limit. Default 200.
        var eventsPerSecond = 200
        /// Events one socket may send at once beyond that rate. Default 1,000.
        var eventBurst = 1_000

        /// The defaults.
        init() {}

        private enum Keys: String, CodingKey {
            case headerTimeout, idleTimeout, connectionsPerMinute, eventsPerSecond, eventBurst
        }

        /// Reads limits; every missing key keeps its default.
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            headerTimeout = try c.decodeIfPresent(Int64.self, forKey: .headerTimeout) ?? headerTimeout
            idleTimeout = try c.decodeIfPresent(Int64.self, forKey: .idleTimeout) ?? idleTimeout
            connectionsPerMinute = try c.decodeIfPresent(Int.self, forKey: .connectionsPerMinute) ?? connectionsPerMinute
            eventsPerSecond = try c.decodeIfPresent(Int.self, forKey: .eventsPerSecond) ?? eventsPerSecond
            eventBurst = try c.decodeIfPresent(Int.self, forKey: .eventBurst) ?? eventBurst
        }
    }

    /// Refuses to serve beyond this machine with a secret everyone can read in this repository:
    /// whoever has it signs their own tokens and session cookies.
    func checkExposure() throws {
        let exposed = listeners.map(\.host).filter { !Self.isLoopback($0) }
        guard let host = exposed.first else { return }
        if jwtSecret == Self.developmentJWTSecret {
            throw ConfigurationError("refusing to listen on \(host) with the development jwtSecret: "
                                     + "set EDGE_JWT_SECRET (or jwtSecret), or listen on 127.0.0.1")
        }
        if session.secret == Session.developmentSecret {
            throw ConfigurationError("refusing to listen on \(host) with the development session secret: "
                                     + "set EDGE_SESSION_SECRET (or session.secret), or listen on 127.0.0.1")
        }
    }

    /// `true` for an address only this machine reaches: `localhost`, `::1`, `127.0.0.0/8`.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
