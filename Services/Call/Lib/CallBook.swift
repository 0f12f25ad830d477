import Contracts

/// Makes a LiveKit access token for participant `identity` (shown as `name`) in room `room`.
public typealias LiveKitTokenMaker = @Sendable (_ identity: String, _ name: String, _ room: String) -> String

/// The whole state of the call service: calls, accounts, connected sockets, telecaller
/// availability and rate limiters. Pure: time is always a parameter, effects are returned.
///
/// Every entry point (`handle`, `expire`) first settles the deadlines that are due, so a
/// late `call:accept` always finds its call already MISSED.
public struct CallBook: Sendable {
    /// Tunables, each with its default.
    public struct Configuration: Sendable, Equatable {
        /// Milliseconds a call rings before it is MISSED. Default 30 000 (the seed's 30 s).
        public var ringTimeoutMs: Int64 = 30_000
        /// `call:initiate` per user. Default 5 per minute (seed).
        public var initiateLimit = RateLimit.perMinute(5)
        /// `call:cancel` per user. Default 20 per minute (seed).
        public var cancelLimit = RateLimit.perMinute(20)
        /// `call:end` per user or telecaller. Default 20 per minute (seed).
        public var endLimit = RateLimit.perMinute(20)
        /// LiveKit server URL sent in `livekit.url`. Default `ws://localhost:7880` (LiveKit's dev port).
        public var liveKitURL = "ws://localhost:7880"
        /// Milliseconds a final call stays in the book so late events get a precise error.
        /// Default 300 000 (5 min); the stored record is unaffected.
        public var retentionMs: Int64 = 300_000

        /// The defaults.
        public init() {}
    }

    /// The user namespace.
    public static let userNamespace = "/user"
    /// The telecaller namespace.
    public static let telecallerNamespace = "/telecaller"
    /// The telecaller-side event that sets availability: `{available: Bool}`.
    public static let setAvailabilityEvent = "telecaller:set-availability"
    /// Every client `(namespace, event)` the call service handles (for its hello).
    public static let routes: [Route] = [
        Route(ns: userNamespace, event: "call:initiate"),
        Route(ns: userNamespace, event: "call:cancel"),
        Route(ns: userNamespace, event: "call:end"),
        Route(ns: telecallerNamespace, event: "call:accept"),
        Route(ns: telecallerNamespace, event: "call:reject"),
        Route(ns: telecallerNamespace, event: "call:end"),
        Route(ns: telecallerNamespace, event: setAvailabilityEvent),
    ]

    /// Tunables.
    public let configuration: Configuration
    /// Makes the LiveKit tokens of `call:accepted`.
    let makeToken: LiveKitTokenMaker
    /// Users by id; the runtime keeps them current (`call:end` debits in place).
    public var users: [String: UserAccount]
    /// Telecallers by id; the runtime keeps them current.
    public var telecallers: [String: Telecaller]
    /// Live calls, and final ones for `retentionMs`, by id.
    public internal(set) var calls: [String: Call]
    /// Connected sids per namespace per account id.
    var sockets: [String: [String: Set<String>]] = [:]
    /// Connected telecallers that set themselves unavailable.
    var unavailable: Set<String> = []
    /// The presence last announced per telecaller (absent means OFFLINE).
    var announced: [String: Presence] = [:]
    /// `call:initiate` limiter.
    var initiateLimiter: RateLimiter
    /// `call:cancel` limiter.
    var cancelLimiter: RateLimiter
    /// `call:end` limiter.
    var endLimiter: RateLimiter
    /// Live calls by party, accepted calls, ring deadlines and final ends in order (kept by `put`).
    var index = CallIndex()
    /// How to take back the steps taken since the last commit (``undo(to:)``); records only
    /// when switched on, as ``CallState`` does.
    var journal = UndoLog<CallBook>()

    /// A book holding `calls` (e.g. the live calls reloaded after a restart; their deadlines
    /// are absolute, so `expire(now:)` fires the overdue ones at once), the telecallers stored as
    /// set `unavailable`, and no sockets.
    public init(configuration: Configuration = Configuration(), users: [UserAccount] = [],
                telecallers: [Telecaller] = [], calls: [Call] = [], unavailable: Set<String> = [],
                makeToken: @escaping LiveKitTokenMaker)
    {
        self.configuration = configuration
        self.makeToken = makeToken
        self.users = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.telecallers = Dictionary(telecallers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.unavailable = unavailable
        self.calls = [:]
        initiateLimiter = RateLimiter(limit: configuration.initiateLimit)
        cancelLimiter = RateLimiter(limit: configuration.cancelLimit)
        endLimiter = RateLimiter(limit: configuration.endLimit)
        for call in calls.sorted(by: { $0.ringDeadline < $1.ringDeadline }) { put(call) }
    }

    /// Reacts to `event` at `now` (ms since the epoch). Overdue deadlines are settled first and
    /// their instructions come first. `newCallID` names a call created by `call:initiate`.
    public mutating func handle(_ event: CallEvent, now: Int64,
                                newCallID: () -> String = { MessageID.make() }) -> CallOutcome
    {
        var outcome = expire(now: now)
        switch event {
        case .connected(let socket):
            outcome.append(connect(socket))
        case .disconnected(let socket):
            outcome.append(disconnect(socket, now: now))
        case .client(let socket, let name, let payload):
            outcome.append(dispatch(socket, name, payload, now: now, newCallID: newCallID))
        }
        return outcome
    }

    /// Settles every live call whose deadline is at or before `now`, oldest deadline first:
    /// RINGING → MISSED (`call:missed` to both), ACCEPTED → COMPLETED when the balance is used up
    /// (`call:ended` to both). The call's `endedAt` is its deadline. Also drops final calls older
    /// than the retention and empty rate-limit windows.
    public mutating func expire(now: Int64) -> CallOutcome {
        sweepFinalCalls(endedBy: now - configuration.retentionMs)
        pruneLimiters(now: now)
        var due = popRings(dueAt: now)
        for id in index.accepted {
            if let call = calls[id], let deadline = deadline(of: call), deadline <= now { due.append((call, deadline)) }
        }
        due.sort { ($0.1, $0.0.id) < ($1.1, $1.0.id) }
        var outcome = CallOutcome()
        for (call, deadline) in due {
            if call.status == .ringing {
                outcome.append(finish(call.id, as: .missed, reason: .ringTimeout, at: deadline,
                                      notify: .both, event: "call:missed"))
            } else {
                outcome.append(finish(call.id, as: .completed, reason: .balanceExhausted, at: deadline,
                                      notify: .both, event: "call:ended"))
            }
        }
        return outcome
    }

    /// Routes a client event to its handler; an unknown route is an invalid request.
    private mutating func dispatch(_ socket: CallSocket, _ name: String, _ payload: JSON?, now: Int64,
                                   newCallID: () -> String) -> CallOutcome
    {
        switch (socket.ns, name) {
        case (Self.userNamespace, "call:initiate"): initiate(socket, payload, now: now, newCallID: newCallID)
        case (Self.userNamespace, "call:cancel"): cancel(socket, payload, now: now)
        case (Self.userNamespace, "call:end"), (Self.telecallerNamespace, "call:end"): end(socket, payload, now: now)
        case (Self.telecallerNamespace, "call:accept"): accept(socket, payload, now: now)
        case (Self.telecallerNamespace, "call:reject"): reject(socket, payload, now: now)
        case (Self.telecallerNamespace, Self.setAvailabilityEvent): setAvailability(socket, payload)
        default: refuse(socket, .invalidRequest)
        }
    }
}
