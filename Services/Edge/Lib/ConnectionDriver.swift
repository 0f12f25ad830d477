import Contracts
import EngineIO
import NIOCore
import SocketIO

/// Answers one HTTP request (a poll or a POST) of a connection; called once.
typealias Responder = (EngineHTTPResponse) -> Void

/// One Engine.IO connection and its Socket.IO side, driven on its loop.
///
/// It owns the connection's ``EngineSession`` and ``SocketSession``, its transports (the pending
/// poll, the WebSockets) and its timers, and carries out both machines' actions itself: a
/// message goes from Engine.IO to Socket.IO without leaving it. What concerns more than this
/// connection (a socket joining or leaving, a client event, a CONNECT to authorize) it hands to
/// its ``EdgeLoop``. The Engine.IO side is here, the Socket.IO side in `ConnectionDriver+Socket`.
final class ConnectionDriver {
    /// The loop's state this connection belongs to.
    unowned let owner: EdgeLoop
    /// The Engine.IO session id.
    let sid: String
    /// Which listener it came in on (index into the configuration's listeners).
    let listener: Int
    /// The client's address, for rate limits and the bus header.
    let address: String
    /// The handshake's Cookie header, for session authentication.
    let cookie: String?
    /// The bus namespace of the plain Engine.IO endpoint it came in on; `nil` for Socket.IO.
    let plain: String?
    /// Messages a plain connection delivered in the actions being carried out, published as one.
    private var plainBatch: [EngineData] = []
    /// The Engine.IO state machine.
    private var engineSession: EngineSession
    /// The Socket.IO state machine.
    var socketSession: SocketSession
    /// The pending long-poll GET, with the identity of the HTTP handler holding it.
    private var poll: (owner: ObjectIdentifier, respond: Responder)?
    /// The WebSocket in use.
    private(set) var currentWebSocket: Channel? {
        didSet { outlet = currentWebSocket.flatMap { try? WebSocketOutlet(channel: $0) } }
    }
    /// Where the frames of the WebSocket in use leave.
    private var outlet: WebSocketOutlet?
    /// A WebSocket being probed for an upgrade.
    private(set) var probeWebSocket: Channel?
    private var engineTimer: NIOScheduledCallback?
    /// The timer the Socket.IO side asked for.
    var socketTimer: NIOScheduledCallback?
    /// Identities established for namespaces whose CONNECT is being decided.
    var authorizing: [String: AuthorizedSocket] = [:]
    /// Client acks services asked for, by socket and ack id: where each answer goes.
    var serverAcks: [ServerAckKey: EmitAck] = [:]
    /// Sockets already logged as over their event rate (each is logged once).
    var rateLimited: Set<String> = []

    /// A connection of `owner` with its two sessions just opened; ``start(_:_:incoming:)`` carries
    /// out their opening actions.
    init(owner: EdgeLoop, sid: String, listener: Int, address: String, cookie: String?, engine: EngineSession,
         socket: SocketSession, webSocket: Channel?, plain: String? = nil)
    {
        self.plain = plain
        self.owner = owner
        self.sid = sid
        self.listener = listener
        self.address = address
        self.cookie = cookie
        engineSession = engine
        socketSession = socket
        currentWebSocket = webSocket
        outlet = webSocket.flatMap { try? WebSocketOutlet(channel: $0) }
    }

    /// `true` until the Engine.IO session closed.
    var isOpen: Bool {
        if case .closed = engineSession.phase { return false }
        return true
    }

    /// The transport name for metrics and life facts.
    var transportName: String { engineSession.transport.rawValue }

    /// Carries out the opening actions of both sessions; `incoming` answers a polling handshake.
    func start(_ engineActions: [EngineAction], _ socketActions: [SocketAction],
               incoming: (ObjectIdentifier, Responder)?)
    {
        perform(engineActions, incoming: incoming)
        if plain == nil { perform(socketActions) }
    }

    /// Feeds an Engine.IO event and carries out its actions. `incoming` answers the HTTP request
    /// that came with it (a GET or POST); `webSocket` is the channel a frame or upgrade came on.
    func engine(_ event: EngineEvent, incoming: (ObjectIdentifier, Responder)? = nil, webSocket: Channel? = nil) {
        let actions = engineSession.handle(event, now: owner.now)
        perform(actions, incoming: incoming, webSocket: webSocket, holdsPoll: event == .pollArrived)
    }

    /// Sends messages encoded once for many sockets (a room's emit); `framed` holds the same
    /// messages in WebSocket framing, which a connection open on a WebSocket writes as they are,
    /// without a turn of its state machine (which would only frame them again).
    func send(_ messages: [EngineData], framed: ByteBuffer) {
        if let outlet, engineSession.phase == .open, engineSession.transport == .websocket {
            owner.write(framed, to: outlet)
        } else {
            engine(.send(messages))
        }
    }

    /// The HTTP connection `owner` went away: if it held this connection's poll, the session hears so.
    func pollAbandoned(owner holder: ObjectIdentifier) {
        guard poll?.owner == holder else { return }
        poll = nil
        engine(.channelClosed(.poll))
    }

    /// Carries out Engine.IO actions in order. `holdsPoll`: the incoming request is a GET, which
    /// waits as the pending poll when the actions neither answer nor refuse it.
    private func perform(_ actions: [EngineAction], incoming: (ObjectIdentifier, Responder)? = nil,
                         webSocket: Channel? = nil, holdsPoll: Bool = false)
    {
        var incoming = incoming
        for action in actions {
            switch action {
            case .respondToPoll(let response):
                if let poll {
                    self.poll = nil
                    poll.respond(response)
                } else if let request = incoming {
                    incoming = nil
                    request.1(response)
                }
            case .respond(let response):
                incoming?.1(response)
                incoming = nil
            case .sendFrames(let frames, .current):
                outlet.map { owner.write(frames, to: $0) }
            case .sendFrames(let frames, .probe):
                probeWebSocket.map { WebSocketWriter.write(frames, to: $0); $0.flush() }
            case .acceptUpgrade:
                probeWebSocket = webSocket
            case .refuseUpgrade:
                webSocket.map(WebSocketWriter.close)
            case .completeUpgrade:
                owner.hub.metrics.engineUpgraded()
                currentWebSocket = probeWebSocket
                probeWebSocket = nil
            case .closeWebSocket(let channel, let code):
                if channel == .current { outlet?.drain() }
                let target = channel == .current ? currentWebSocket : probeWebSocket
                target.map { WebSocketWriter.close($0, code: code) }
            case .deliver(let data):
                if plain != nil { plainBatch.append(data) } else { socket(.received(data)) }
            case .scheduleTimer(let time):
                engineTimer?.cancel()
                engineTimer = schedule(EngineTimerCallback(loop: owner.handle, sid: sid), at: time)
            case .cancelTimer:
                engineTimer?.cancel()
                engineTimer = nil
            case .closed(let reason):
                closed(reason)
            }
        }
        if !plainBatch.isEmpty {
            let batch = plainBatch
            plainBatch = []
            owner.plainMessages(batch, on: self)
        }
        // A GET that was neither answered nor refused is now the pending poll.
        if holdsPoll, let request = incoming, isOpen {
            poll = (request.0, request.1)
        }
    }

    /// The session ended: the transports are closed, the loop forgets the connection and the
    /// Socket.IO side hears it (its sockets leave).
    private func closed(_ reason: EngineCloseReason) {
        guard owner.forget(self) else { return }
        engineTimer?.cancel()
        engineTimer = nil
        if let poll {
            self.poll = nil
            poll.respond(.poll(EnginePacket.encodePayload([.close])))
        }
        outlet?.drain()
        currentWebSocket.map(WebSocketWriter.close)
        probeWebSocket.map(WebSocketWriter.close)
        owner.hub.metrics.engineClosed(transport: transportName)
        owner.hub.logger.debug("connection closed", metadata: ["sid": "\(sid)", "reason": "\(reason.rawValue)"])
        socket(.engineClosed(reason))
        socketTimer?.cancel()
        socketTimer = nil
    }
}
