import Bus
import Contracts
import EngineIO
import Logging
import NIOCore
import SocketIO

/// The edge's state: every connection, socket and room, confined to one event loop.
///
/// Handlers and the bus bridge call it on that loop only. It feeds events to the value-type
/// state machines (``EngineSession``, ``SocketSession``) and carries out the actions they return.
final class EdgeHub: @unchecked Sendable {
    let loop: EventLoop
    let configuration: EdgeConfiguration
    let logger: Logger
    let metrics: EdgeMetrics
    let authorizer: Authorizer
    var bus: EdgeBus!
    private let origin = NIODeadline.now()

    /// Engine.IO connections by Engine.IO sid.
    var connections: [String: Connection] = [:]
    /// Sockets by Socket.IO sid.
    var sockets: [String: SocketRecord] = [:]
    /// Rooms, users and members per namespace.
    var rooms: [String: RoomIndex] = [:]
    /// Client events waiting for their service's reply, by bus event id: who asked, with which ack id.
    var clientAcks: [String: ClientAck] = [:]
    /// Plain HTTP requests waiting for authentication or their service's reply, by bus event id.
    var httpWaiting: [String: HTTPWaiting] = [:]
    /// CONNECTs waiting for a service's decision, by bus event id.
    var decisions: [String: PendingDecision] = [:]
    /// Replies already carried out (a re-published event may be answered twice).
    var appliedReplies = RecentIDs(capacity: 100_000)
    /// Client acks services asked for, by socket and ack id: where the answer goes.
    var serverAcks: [ServerAckKey: EmitAck] = [:]
    /// The ack request of the emit being sent (read when its session allocates an ack id).
    var requestedAck: EmitAck?
    /// WebSocket channels written to in this event-loop turn and not yet flushed.
    private var unflushed: [ObjectIdentifier: Channel] = [:]
    /// When an undelivered event was last logged, and how many were not logged since.
    var failureLog: (last: NIODeadline, suppressed: Int) = (.uptimeNanoseconds(0), 0)

    init(loop: EventLoop, configuration: EdgeConfiguration, authorizer: Authorizer, metrics: EdgeMetrics,
         logger: Logger)
    {
        self.loop = loop
        self.configuration = configuration
        self.authorizer = authorizer
        self.metrics = metrics
        self.logger = logger
    }

    /// Milliseconds since the hub started, on the loop's monotonic clock.
    var now: EngineTime {
        EngineTime(milliseconds: (NIODeadline.now() - origin).nanoseconds / 1_000_000)
    }

    private func deadline(_ time: EngineTime) -> NIODeadline {
        origin + .milliseconds(time.milliseconds)
    }

    var engineConfiguration: EngineSession.Configuration {
        EngineSession.Configuration(pingInterval: configuration.pingInterval, pingTimeout: configuration.pingTimeout,
                                    maxPayload: configuration.maxPayload)
    }

    /// Starts a connection whose handshake arrived over `transport`.
    @discardableResult
    func open(transport: EngineTransport, listener: Int, address: String, cookie: String?,
              webSocket: Channel?, incoming: (ObjectIdentifier, Responder)?) -> Connection
    {
        let sid = SocketID.make()
        let now = self.now
        let (engine, engineActions) = EngineSession.open(sid: sid, transport: transport,
                                                         configuration: engineConfiguration, now: now)
        let namespaces = Set(configuration.namespaces(ofListener: listener).keys)
        let (socket, socketActions) = SocketSession.open(
            configuration: SocketSession.Configuration(connectTimeout: configuration.connectTimeout,
                                                       namespaces: namespaces),
            now: now)
        let connection = Connection(sid: sid, listener: listener, address: address, cookie: cookie, engine: engine,
                                    socket: socket, opened: .now())
        connection.currentWebSocket = webSocket
        connections[sid] = connection
        metrics.engineOpened(transport: transport.rawValue)
        perform(engineActions, on: connection, incoming: incoming)
        perform(socketActions, on: connection)
        return connection
    }

    /// Feeds an Engine.IO event. `incoming` answers the HTTP request that came with it (a GET
    /// or POST); `webSocket` is the channel a frame or upgrade came on.
    func engine(_ event: EngineEvent, on connection: Connection, incoming: (ObjectIdentifier, Responder)? = nil,
                webSocket: Channel? = nil)
    {
        let actions = connection.engine.handle(event, now: now)
        perform(actions, on: connection, incoming: incoming, webSocket: webSocket,
                holdsPoll: event == .pollArrived)
    }

    /// Carries out Engine.IO actions in order.
    /// `holdsPoll`: the incoming request is a GET, which waits as the pending poll when the
    /// actions neither answer nor refuse it.
    func perform(_ actions: [EngineAction], on connection: Connection, incoming: (ObjectIdentifier, Responder)? = nil,
                 webSocket: Channel? = nil, holdsPoll: Bool = false)
    {
        var incoming = incoming
        for action in actions {
            switch action {
            case .respondToPoll(let response):
                if let poll = connection.poll {
                    connection.poll = nil
                    poll.respond(response)
                } else if let request = incoming {
                    incoming = nil
                    request.1(response)
                }
            case .respond(let response):
                incoming?.1(response)
                incoming = nil
            case .sendFrames(let frames, let channel):
                let target = channel == .current ? connection.currentWebSocket : connection.probeWebSocket
                target.map { write(frames, to: $0) }
            case .acceptUpgrade:
                connection.probeWebSocket = webSocket
            case .refuseUpgrade:
                webSocket.map(WebSocketWriter.close)
            case .completeUpgrade:
                metrics.engineUpgraded()
                connection.currentWebSocket = connection.probeWebSocket
                connection.probeWebSocket = nil
            case .closeWebSocket(let channel):
                let target = channel == .current ? connection.currentWebSocket : connection.probeWebSocket
                target.map(WebSocketWriter.close)
            case .deliver(let data):
                socket(.received(data), on: connection)
            case .scheduleTimer(let time):
                connection.engineTimer?.cancel()
                let sid = connection.sid
                connection.engineTimer = loop.scheduleTask(deadline: deadline(time)) {
                    guard let connection = self.connections[sid] else { return }
                    self.engine(.timerFired, on: connection)
                }
            case .cancelTimer:
                connection.engineTimer?.cancel()
                connection.engineTimer = nil
            case .closed(let reason):
                closed(connection, reason: reason)
            }
        }
        // A GET that was neither answered nor refused is now the pending poll.
        if holdsPoll, let request = incoming, connection.connectionIsOpen {
            connection.poll = (request.0, request.1)
        }
    }

    /// Writes frames to a WebSocket and flushes it once, after everything this loop turn
    /// writes: the frames of one bus batch to one socket (an ack and an emit, a room's
    /// broadcasts) leave in one `writev` instead of one each.
    func write(_ frames: [EngineIO.WebSocketFrame], to channel: Channel) {
        WebSocketWriter.write(frames, to: channel)
        if unflushed.isEmpty {
            loop.execute { self.flushWrites() }
        }
        unflushed[ObjectIdentifier(channel)] = channel
    }

    private func flushWrites() {
        let channels = unflushed
        unflushed = [:]
        for channel in channels.values { channel.flush() }
    }

    private func closed(_ connection: Connection, reason: EngineCloseReason) {
        guard connections.removeValue(forKey: connection.sid) != nil else { return }
        connection.engineTimer?.cancel()
        connection.engineTimer = nil
        if let poll = connection.poll {
            connection.poll = nil
            poll.respond(.poll(EnginePacket.encodePayload([.close])))
        }
        connection.currentWebSocket.map(WebSocketWriter.close)
        connection.probeWebSocket.map(WebSocketWriter.close)
        metrics.engineClosed(transport: connection.transportName)
        logger.debug("connection closed", metadata: ["sid": "\(connection.sid)", "reason": "\(reason.rawValue)"])
        socket(.engineClosed(reason), on: connection)
        connection.socketTimer?.cancel()
        connection.socketTimer = nil
    }

    /// Feeds a Socket.IO event and carries out its actions.
    func socket(_ event: SocketEvent, on connection: Connection) {
        let actions = connection.socket.handle(event, now: now)
        perform(actions, on: connection)
    }

    /// Schedules or cancels the Socket.IO side's timer.
    func socketTimer(_ time: EngineTime?, on connection: Connection) {
        connection.socketTimer?.cancel()
        let sid = connection.sid
        connection.socketTimer = time.map { time in
            loop.scheduleTask(deadline: deadline(time)) {
                guard let connection = self.connections[sid] else { return }
                self.socket(.timerFired, on: connection)
            }
        }
    }
}

extension Connection {
    /// `true` while the hub still holds this connection's session.
    var connectionIsOpen: Bool {
        if case .closed = engine.phase { return false }
        return true
    }
}

/// A bounded set of recent ids: the oldest is forgotten first.
struct RecentIDs {
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Adds `id`; `false` when it was already there.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }
}
