/// The Engine.IO side of one client connection, as a value: events in, actions out.
///
/// The session owns the heartbeat (server pings every `pingInterval`, closes when no pong
/// comes within `pingTimeout`), the polling rules (one pending GET, one POST at a time),
/// and the upgrade from polling to WebSocket. It never reads a clock nor touches a socket:
/// the caller passes the time with every event and carries out the returned actions in order.
public struct EngineSession: Sendable {
    /// The session's settings; the defaults are those of socket.io 4.
    public struct Configuration: Sendable, Hashable {
        /// Milliseconds between the server's pings. Default 25000.
        public var pingInterval: Int64
        /// Milliseconds to wait for a pong before closing. Default 20000.
        public var pingTimeout: Int64
        /// Milliseconds a started upgrade may take before the probe is dropped. Default 10000.
        public var upgradeTimeout: Int64
        /// Milliseconds a closing polling session waits for a GET to deliver the close packet.
        /// Default 30000.
        public var closeTimeout: Int64
        /// The largest POST body or WebSocket frame accepted, in bytes. Default 1000000.
        public var maxPayload: Int
        /// The transports a polling session may upgrade to. Default `[.websocket]`.
        public var upgrades: [EngineTransport]

        /// A configuration; every parameter defaults to the reference server's value.
        public init(pingInterval: Int64 = 25_000, pingTimeout: Int64 = 20_000, upgradeTimeout: Int64 = 10_000,
                    closeTimeout: Int64 = 30_000, maxPayload: Int = 1_000_000,
                    upgrades: [EngineTransport] = [.websocket]) {
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.upgradeTimeout = upgradeTimeout
            self.closeTimeout = closeTimeout
            self.maxPayload = maxPayload
            self.upgrades = upgrades
        }
    }

    /// Where the session is in its life.
    public enum Phase: Sendable, Hashable {
        /// Exchanging packets.
        case open
        /// Closed by the server; waiting for a GET to carry the close packet.
        case closing
        /// Over, for the given reason.
        case closed(EngineCloseReason)
    }

    /// Progress of an upgrade to WebSocket.
    enum Upgrade: Sendable, Hashable {
        case none, probing, probed, done
    }

    /// The session id, chosen by the caller.
    public let sid: String
    /// The settings.
    public let configuration: Configuration
    /// The transport in use.
    public internal(set) var transport: EngineTransport
    /// Where the session is in its life.
    public internal(set) var phase: Phase = .open

    var upgrade: Upgrade = .none
    var outbox: [EnginePacket] = []
    var pollPending = false
    var postPending = false
    var nextPingAt: EngineTime?
    var pongDeadline: EngineTime?
    var upgradeDeadline: EngineTime?
    var closeDeadline: EngineTime?
    var armedTimer: EngineTime?

    /// Opens a session whose handshake request arrived over `transport` at `now`.
    ///
    /// For polling the handshake GET counts as the pending poll and is answered with the open
    /// packet; for WebSocket the open packet is sent as the first frame.
    public static func open(sid: String, transport: EngineTransport, configuration: Configuration = Configuration(),
                            now: EngineTime) -> (EngineSession, [EngineAction]) {
        var session = EngineSession(sid: sid, configuration: configuration, transport: transport)
        var actions: [EngineAction] = []
        session.pollPending = transport == .polling
        session.nextPingAt = now + configuration.pingInterval
        session.enqueue([.open(session.handshakeJSON)], &actions)
        session.syncTimer(&actions)
        return (session, actions)
    }

    private init(sid: String, configuration: Configuration, transport: EngineTransport) {
        self.sid = sid
        self.configuration = configuration
        self.transport = transport
    }

    /// The data of the open packet, in the reference's key order.
    public var handshakeJSON: String {
        let upgrades = transport == .polling ? configuration.upgrades : []
        let names = upgrades.map { EngineError.jsonString($0.rawValue) }.joined(separator: ",")
        return "{\"sid\":\(EngineError.jsonString(sid)),\"upgrades\":[\(names)],"
            + "\"pingInterval\":\(configuration.pingInterval),\"pingTimeout\":\(configuration.pingTimeout),"
            + "\"maxPayload\":\(configuration.maxPayload)}"
    }

    /// Applies `event`, which happened at `now`, and returns what the caller must do, in order.
    public mutating func handle(_ event: EngineEvent, now: EngineTime) -> [EngineAction] {
        var actions: [EngineAction] = []
        switch event {
        case .timerFired: timerFired(now: now, &actions)
        case .pollArrived: pollArrived(&actions)
        case .postBegan(let contentType, let length): postBegan(contentType: contentType, length: length, &actions)
        case .postCompleted(let body): postCompleted(body: body, now: now, &actions)
        case .frameReceived(let frame, .current): currentFrame(frame, now: now, &actions)
        case .frameReceived(let frame, .probe): probeFrame(frame, &actions)
        case .invalidTextFrame(let channel): invalidTextFrame(on: channel, &actions)
        case .upgradeRequested: upgradeRequested(now: now, &actions)
        case .channelClosed(let channel): channelClosed(channel, &actions)
        case .send(let messages): if phase == .open { enqueue(messages.map(EnginePacket.message), &actions) }
        case .close: close(now: now, &actions)
        }
        syncTimer(&actions)
        return actions
    }

    /// Sends packets on the current transport: frames at once, or through the polling outbox.
    mutating func enqueue(_ packets: [EnginePacket], _ actions: inout [EngineAction]) {
        guard !packets.isEmpty else { return }
        switch transport {
        case .websocket: actions.append(.sendFrames(packets.map(\.frame), on: .current))
        case .polling:
            outbox += packets
            flushPoll(&actions)
        }
    }

    /// Answers the pending GET with everything in the outbox, if both exist.
    mutating func flushPoll(_ actions: inout [EngineAction]) {
        guard pollPending, !outbox.isEmpty else { return }
        actions.append(.respondToPoll(.poll(EnginePacket.encodePayload(outbox))))
        outbox = []
        pollPending = false
    }

    /// Ends the session: answers a pending GET with a close packet, closes WebSockets (the
    /// current one with `code`), reports.
    mutating func terminate(_ reason: EngineCloseReason, code: WebSocketCloseCode = .normalClosure,
                            _ actions: inout [EngineAction]) {
        if case .closed = phase { return }
        phase = .closed(reason)
        outbox = []
        postPending = false
        nextPingAt = nil
        pongDeadline = nil
        upgradeDeadline = nil
        closeDeadline = nil
        if pollPending {
            pollPending = false
            actions.append(.respondToPoll(.poll(EnginePacket.close.text)))
        }
        if transport == .websocket { actions.append(.closeWebSocket(.current, code: code)) }
        if upgrade == .probing || upgrade == .probed { actions.append(.closeWebSocket(.probe)) }
        upgrade = .none
        actions.append(.closed(reason))
    }

    /// Closes on the server's behalf; a polling session without a pending GET waits for one.
    mutating func close(now: EngineTime, _ actions: inout [EngineAction]) {
        guard phase == .open else { return }
        guard transport == .polling, !pollPending else {
            if pollPending { enqueue([.close], &actions) }
            terminate(.forcedClose, &actions)
            return
        }
        phase = .closing
        nextPingAt = nil
        pongDeadline = nil
        closeDeadline = now + configuration.closeTimeout
    }

    /// Asks for the earliest deadline when it changed.
    mutating func syncTimer(_ actions: inout [EngineAction]) {
        let earliest = [nextPingAt, pongDeadline, upgradeDeadline, closeDeadline].compactMap { $0 }.min()
        guard earliest != armedTimer else { return }
        armedTimer = earliest
        actions.append(earliest.map(EngineAction.scheduleTimer) ?? .cancelTimer)
    }
}
