import Contracts
import EngineIO

/// The Socket.IO side of one Engine.IO connection, as a value: events in, actions out.
///
/// It decodes packets, multiplexes namespaces (each joined namespace is a
/// ``NamespaceConnection``), asks the upper layer to authorize every CONNECT, routes events
/// and acks, and closes the connection when no namespace is joined within `connectTimeout`
/// or when a packet is malformed. Time is passed in; nothing here reads a clock.
public struct SocketSession: Sendable {
    /// The connection's settings; the defaults are those of socket.io 4.
    public struct Configuration: Sendable, Hashable {
        /// Milliseconds the client has to join a first namespace. Default 45000.
        public var connectTimeout: Int64
        /// The namespaces that exist; a CONNECT to any other gets "Invalid namespace". Default `["/"]`.
        public var namespaces: Set<String>
        /// Limits of the packet decoder.
        public var decoder: SocketPacketDecoder.Configuration

        /// A configuration; every parameter defaults to the reference server's value.
        public init(connectTimeout: Int64 = 45_000, namespaces: Set<String> = ["/"],
                    decoder: SocketPacketDecoder.Configuration = .init()) {
            self.connectTimeout = connectTimeout
            self.namespaces = namespaces
            self.decoder = decoder
        }
    }

    /// A namespace's state on this connection.
    public enum Membership: Sendable, Hashable {
        /// The CONNECT waits for the upper layer's decision.
        case authorizing
        /// The socket is in the namespace.
        case connected(NamespaceConnection)
    }

    /// The settings.
    public let configuration: Configuration
    /// The namespaces being joined or joined.
    public internal(set) var memberships: [String: Membership] = [:]
    /// Whether the connection is over; every later event is ignored.
    public internal(set) var isClosed = false

    var decoder: SocketPacketDecoder
    var connectDeadline: EngineTime?
    var armedTimer: EngineTime?

    /// Starts the Socket.IO side of a connection opened at `now`; the actions arm the connect timeout.
    public static func open(configuration: Configuration = Configuration(), now: EngineTime)
        -> (SocketSession, [SocketAction]) {
        var session = SocketSession(configuration: configuration)
        session.connectDeadline = now + configuration.connectTimeout
        var actions: [SocketAction] = []
        session.syncTimer(&actions)
        return (session, actions)
    }

    private init(configuration: Configuration) {
        self.configuration = configuration
        self.decoder = SocketPacketDecoder(configuration: configuration.decoder)
    }

    /// The socket in `namespace`, when connected.
    public func connection(_ namespace: String) -> NamespaceConnection? {
        if case .connected(let connection)? = memberships[namespace] { return connection }
        return nil
    }

    /// Applies `event`, which happened at `now`, and returns what the caller must do, in order.
    public mutating func handle(_ event: SocketEvent, now: EngineTime) -> [SocketAction] {
        guard !isClosed else { return [] }
        var actions: [SocketAction] = []
        switch event {
        case .received(let message): received(message, &actions)
        case .timerFired: timerFired(now: now, &actions)
        case .accept(let namespace, let sid): accept(namespace, sid: sid, &actions)
        case .reject(let namespace, let data):
            guard memberships[namespace] == .authorizing else { break }
            memberships[namespace] = nil
            send(.connectError(namespace: namespace, data: data), &actions)
        case .emit(let namespace, let arguments, let attachments, let expectsAck, let ackTimeout):
            emit(namespace, arguments, attachments, expectsAck: expectsAck,
                 deadline: ackTimeout.map { now + $0 }, &actions)
        case .acknowledge(let namespace, let ackID, let arguments, let attachments):
            guard var connection = connection(namespace), connection.takeAnswer(ackID) else { break }
            memberships[namespace] = .connected(connection)
            send(.ack(namespace: namespace, arguments, ackID: ackID, attachments: attachments), &actions)
        case .disconnect(let namespace): serverDisconnect(namespace, &actions)
        case .engineClosed(let reason): finish(.transport(reason), &actions)
        }
        syncTimer(&actions)
        return actions
    }

    /// Sends one packet through Engine.IO.
    func send(_ packet: SocketPacket, _ actions: inout [SocketAction]) {
        actions.append(.send(packet.encoded))
    }

    /// Ends the connection: every socket leaves with `reason`.
    mutating func finish(_ reason: SocketDisconnectReason, _ actions: inout [SocketAction]) {
        for namespace in memberships.keys.sorted() {
            if let connection = connection(namespace) {
                actions.append(.disconnected(namespace: namespace, sid: connection.sid, reason: reason))
            }
        }
        memberships = [:]
        connectDeadline = nil
        isClosed = true
    }

    /// Asks for the earliest deadline (connect timeout or an ack) when it changed.
    mutating func syncTimer(_ actions: inout [SocketAction]) {
        var deadlines = memberships.values.compactMap { membership -> EngineTime? in
            if case .connected(let connection) = membership { return connection.earliestAckDeadline }
            return nil
        }
        if let connectDeadline { deadlines.append(connectDeadline) }
        let earliest = deadlines.min()
        guard earliest != armedTimer else { return }
        armedTimer = earliest
        actions.append(earliest.map(SocketAction.scheduleTimer) ?? .cancelTimer)
    }
}
