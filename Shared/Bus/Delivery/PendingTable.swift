import Contracts

/// Why an event that expected a reply got none.
public enum DeliveryFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No service has ever announced this `(namespace, event)`: refused at once.
    case unknownEvent(Route)
    /// The pending table is full: refused at once.
    case overloaded(limit: Int)
    /// No reply within the time bound, after publishing `attempts` times.
    case timedOut(afterMilliseconds: Int64, attempts: Int)
    /// The process is shutting down.
    case closed
    /// An event with this id is already waiting (ids are unique per message).
    case duplicateID(String)

    /// The error code clients and logs see.
    public var code: String {
        switch self {
        case .unknownEvent: "UNKNOWN_EVENT"
        case .overloaded: "OVERLOADED"
        case .timedOut: "SERVICE_UNAVAILABLE"
        case .closed: "SHUTTING_DOWN"
        case .duplicateID: "DUPLICATE_ID"
        }
    }

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .unknownEvent(let route): "no service handles \(route)"
        case .overloaded(let limit): "more than \(limit) events are waiting for replies"
        case .timedOut(let elapsed, let attempts): "no reply after \(elapsed) ms and \(attempts) attempts"
        case .closed: "shutting down"
        case .duplicateID(let id): "an event with id \(id) is already waiting"
        }
    }
}

/// The delivery rules of the publishing side (ARCHITECTURE §2), as a value type.
///
/// Every event that expects a reply is kept, keyed by its id, until the reply arrives. It is
/// published again with the same id when its service shows a new instance or when the retry
/// interval passes; past the age bound it fails, and past the count bound new events are
/// refused. `Token` is whatever the caller needs to answer its client (a continuation, a socket).
public struct PendingTable<Token> {
    /// The bounds.
    public struct Configuration: Sendable {
        /// Milliseconds without a reply before an event is published again the first time.
        /// Default 1000. Each further retry waits twice as long as the one before (1 s, 2 s,
        /// 4 s, …), so a service that is slow, not gone, is not flooded with copies.
        public var retryIntervalMilliseconds: Int64 = 1000
        /// Milliseconds an event may wait in all before it fails. Default 10,000.
        public var maxAgeMilliseconds: Int64 = 10_000
        /// Events that may wait at once; more are refused. Default 10,000.
        public var maxCount = 10_000

        /// The defaults.
        public init() {}
    }

    /// One waiting event.
    public struct Entry {
        /// The message as first published (re-published unchanged).
        public var envelope: Envelope
        /// The service it is for.
        public var service: String
        /// When it was first published.
        public var firstSent: Int64
        /// When it was last published.
        public var lastSent: Int64
        /// How many times it was published.
        public var attempts: Int
        /// The caller's token.
        public var token: Token
    }

    /// The bounds in force.
    public let configuration: Configuration
    private var entries: [String: Entry] = [:]

    /// An empty table with `configuration`.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Events waiting now.
    public var count: Int { entries.count }

    /// Adds an event for `service`. Returns `nil` when it should be published now, or the
    /// failure that refuses it.
    public mutating func add(_ envelope: Envelope, service: String, token: Token, at now: Int64) -> DeliveryFailure? {
        if entries.count >= configuration.maxCount { return .overloaded(limit: configuration.maxCount) }
        if entries[envelope.header.id] != nil { return .duplicateID(envelope.header.id) }
        entries[envelope.header.id] = Entry(envelope: envelope, service: service, firstSent: now,
                                            lastSent: now, attempts: 1, token: token)
        return nil
    }

    /// Removes and returns the event a reply answers (`re`); `nil` for an unknown or repeated reply.
    public mutating func resolve(_ re: String) -> Entry? {
        entries.removeValue(forKey: re)
    }

    /// Removes and returns every entry, e.g. at shutdown.
    public mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return Array(entries.values)
    }

    /// A new instance of `service` was heard: every event pending for it is published again,
    /// oldest first (so one socket's events keep their order).
    public mutating func serviceRestarted(_ service: String, at now: Int64) -> [Envelope] {
        var again: [Envelope] = []
        for (id, entry) in entries where entry.service == service {
            entries[id]?.lastSent = now
            entries[id]?.attempts += 1
            again.append(entry.envelope)
        }
        return again.sorted { $0.header.ts < $1.header.ts }
    }

    /// Milliseconds to wait after the `attempts`-th publication: the retry interval, doubled
    /// for each publication after the first.
    func retryDelay(after attempts: Int) -> Int64 {
        configuration.retryIntervalMilliseconds << Int64(min(max(attempts - 1, 0), 20))
    }

    /// Advances time: returns what to publish again and what failed past the age bound
    /// (removed from the table), oldest first.
    public mutating func tick(at now: Int64) -> (republish: [Envelope], expired: [Entry]) {
        var again: [Envelope] = []
        var expired: [Entry] = []
        for (id, entry) in entries {
            if now - entry.firstSent >= configuration.maxAgeMilliseconds {
                expired.append(entry)
                entries[id] = nil
            } else if now - entry.lastSent >= retryDelay(after: entry.attempts) {
                entries[id]?.lastSent = now
                entries[id]?.attempts += 1
                again.append(entry.envelope)
            }
        }
        again.sort { $0.header.ts < $1.header.ts }
        expired.sort { $0.firstSent < $1.firstSent }
        return (again, expired)
    }
}
