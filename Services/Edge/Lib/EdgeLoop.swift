import Contracts
import EngineIO
import NIOCore
import SocketIO

/// The edge's state on one event loop: its connections (a ``ConnectionDriver`` each), its
/// sockets, the rooms they are in and the replies and emits it carried out.
///
/// Made by the hub on its loop (``EdgeHub/edgeLoop(on:)``) and touched only there: it is not
/// `Sendable`, NIO handlers on the loop hold it, and other threads reach it through ``handle``.
/// The edge runs one per event loop (`loops`, default one per core): a connection's sockets and
/// rooms are its loop's, and a request for a session of another loop goes there
/// (`EdgeLoop+Sessions`).
final class EdgeLoop {
    /// The process-wide part: settings, the bus, authentication, metrics.
    unowned let hub: EdgeHub
    /// The way back onto this loop from other threads.
    let handle: LoopHandle
    /// The event loop.
    let eventLoop: EventLoop
    /// Its place among the edge's loops, which the ids of its sessions carry.
    let index: Int
    /// Connections by Engine.IO session id.
    private var drivers: [String: ConnectionDriver] = [:]
    /// Sockets by Socket.IO sid.
    var sockets: [String: SocketRecord] = [:]
    /// Rooms, users and members per namespace.
    var rooms: [String: RoomIndex] = [:]
    /// The connections of the broadcasts made per namespace, by room (`nil`: everyone), until its
    /// membership changes (`EdgeLoop+Audiences`).
    var audiences: [String: [String?: [ConnectionDriver]]] = [:]
    /// Replies (by the event they answer) and emits (by their id) already carried out here: a
    /// re-published event may be answered twice, a durable emit published twice.
    var applied = RecentIDs(capacity: 100_000)
    /// When an undelivered event was last logged, and how many were not logged since.
    var failureLog: (last: NIODeadline, suppressed: Int) = (.uptimeNanoseconds(0), 0)
    /// WebSockets written to in this loop turn and not drained yet.
    private var unflushed: [WebSocketOutlet] = []
    /// The allocator of the frames this loop encodes.
    let allocator = ByteBufferAllocator()
    private let origin = NIODeadline.now()
    private let engineConfiguration: EngineSession.Configuration
    /// The Socket.IO settings of each listener's connections, made once: every session of a
    /// listener shares one set of namespaces instead of holding a copy of its own.
    private let socketConfigurations: [SocketSession.Configuration]

    /// The state of the loop of `handle`, the edge's loop number `index`, for `hub`.
    init(hub: EdgeHub, handle: LoopHandle, index: Int) {
        self.hub = hub
        self.handle = handle
        self.index = index
        eventLoop = handle.eventLoop
        let configuration = hub.configuration
        engineConfiguration = EngineSession.Configuration(pingInterval: configuration.pingInterval,
                                                          pingTimeout: configuration.pingTimeout,
                                                          maxPayload: configuration.maxPayload)
        socketConfigurations = configuration.listeners.indices.map { listener in
            SocketSession.Configuration(connectTimeout: configuration.connectTimeout,
                                        namespaces: Set(configuration.namespaces(ofListener: listener).keys))
        }
    }

    /// Milliseconds since this state was made, on the monotonic clock: the state machines' time.
    var now: EngineTime {
        EngineTime(milliseconds: (NIODeadline.now() - origin).nanoseconds / 1_000_000)
    }

    /// The instant of a state machine's `time`.
    func deadline(_ time: EngineTime) -> NIODeadline {
        origin + .milliseconds(time.milliseconds)
    }

    /// Starts a connection whose handshake arrived over `transport` on `listener`; `webSocket`
    /// is its channel for a WebSocket handshake, `incoming` answers a polling handshake. `plain`
    /// names the bus namespace of a plain Engine.IO endpoint's connection, which has no Socket.IO side.
    @discardableResult
    func open(transport: EngineTransport, listener: Int, address: String, cookie: String?, webSocket: Channel?,
              incoming: (ObjectIdentifier, Responder)?, plain: String? = nil) -> ConnectionDriver
    {
        let sid = SocketID.make(loop: index)
        let now = self.now
        let (engine, engineActions) = EngineSession.open(sid: sid, transport: transport,
                                                         configuration: engineConfiguration, now: now)
        let (socket, socketActions) = SocketSession.open(configuration: socketConfigurations[listener], now: now)
        let driver = ConnectionDriver(owner: self, sid: sid, listener: listener, address: address, cookie: cookie,
                                      engine: engine, socket: socket, webSocket: webSocket, plain: plain)
        drivers[sid] = driver
        hub.metrics.engineOpened(transport: transport.rawValue)
        driver.start(engineActions, socketActions, incoming: incoming)
        return driver
    }

    /// The open connection with Engine.IO session id `sid`, if it came in on `listener` (any
    /// listener when `nil`).
    func driver(_ sid: String, listener: Int? = nil) -> ConnectionDriver? {
        guard let driver = drivers[sid], listener == nil || driver.listener == listener else { return nil }
        return driver
    }

    /// The connection with Engine.IO session id `sid` while it is open: what a connection's timer
    /// fires on. A timer names its connection by id rather than holding it weakly, since a weak
    /// reference gives an object a side table, and every retain of it (one per broadcast frame)
    /// then takes the slow path.
    func openDriver(_ sid: String) -> ConnectionDriver? {
        guard let driver = drivers[sid], driver.isOpen else { return nil }
        return driver
    }

    /// Forgets a connection that closed; `false` when it was already forgotten.
    func forget(_ driver: ConnectionDriver) -> Bool {
        drivers.removeValue(forKey: driver.sid) != nil
    }

    /// The HTTP connection `owner` held pending polls and went away.
    func pollAbandoned(owner: ObjectIdentifier) {
        for driver in drivers.values { driver.pollAbandoned(owner: owner) }
    }

    /// Writes frames to a WebSocket, framed here (``WebSocketFrameBytes``).
    func write(_ frames: [EngineIO.WebSocketFrame], to outlet: WebSocketOutlet) {
        write(WebSocketFrameBytes.encode(frames, allocator: allocator), to: outlet)
    }

    /// Writes framed bytes to a WebSocket, joined with whatever else this loop turn writes to
    /// it, and written and flushed once after the turn: the frames of one bus batch to one
    /// socket (an ack and an emit, a room's broadcasts) leave in one write and one `writev`.
    func write(_ bytes: ByteBuffer, to outlet: WebSocketOutlet) {
        guard outlet.append(bytes) else { return }
        if unflushed.isEmpty {
            eventLoop.assumeIsolated().execute { self.flushWrites() }
        }
        unflushed.append(outlet)
    }

    /// Writes and flushes every WebSocket written to in this turn. Lists that reach the inbox
    /// meanwhile are carried out before the next socket's write, so their frames join those of
    /// the sockets not written yet (one write for both); the sockets already written get them in
    /// the next pass. Nothing waits for lists: only those already there are taken.
    private func flushWrites() {
        let outlets = unflushed
        unflushed = []
        for outlet in outlets {
            if handle.inbox.hasItems { carryOutInbox() }
            outlet.drain()
        }
    }
}
