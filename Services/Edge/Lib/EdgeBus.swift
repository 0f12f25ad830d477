import Bus
import Contracts
import Foundation
import Logging
import Synchronization

/// The edge's side of the bus: announces the edge in `hello`, publishes client events through
/// the delivery rules and life facts on `life`, and hands every instruction for this edge
/// (topics `edge` and `edge.<id>`) to the hub.
final class EdgeBus: Sendable {
    /// This edge's instance id, e.g. `edge-4f2a9c`.
    let instance: String
    let connection: BusConnection
    private let delivery: DeliveryClient
    private let logger: Logger
    private let started = Clock.millisecondsSinceEpoch()
    private let ready = Mutex(false)
    /// The HTTP routes heard in ready hellos (pairs with namespace `http`), and the texts that
    /// were not routes (logged once each).
    private let httpRoutes = Mutex((table: HTTPRouteTable(), unreadable: Set<String>()))
    private let helloInterval = 1000

    init(configuration: BusConnection.Configuration, delivery bounds: EdgeConfiguration.Delivery,
         instance: String, logger: Logger) throws
    {
        self.instance = instance
        self.logger = logger
        connection = try BusConnection(configuration: configuration, logger: logger)
        var pending = PendingTable<DeliveryClient.Completion>.Configuration()
        pending.retryIntervalMilliseconds = bounds.retryMilliseconds
        pending.maxAgeMilliseconds = bounds.maxAgeMilliseconds
        pending.maxCount = bounds.maxPending
        delivery = DeliveryClient(connection: connection, configuration: pending, logger: logger)
        // Instructions first: once our own hello comes back, these subscriptions are live too.
        connection.subscribe(.exact(Topic.edge))
        connection.subscribe(.exact(Topic.edge(instance)))
        connection.subscribe(.exact(Topic.hello))
    }

    /// `true` once the edge heard its own hello back.
    var isReady: Bool { ready.withLock { $0 } }

    /// Events waiting for a reply.
    var pendingCount: Int { delivery.pendingCount }

    /// Runs the message pump, the hellos and the delivery clock until cancelled.
    func run(hub: EdgeHub) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.delivery.run() }
            group.addTask { await self.announce() }
            group.addTask {
                for await envelope in self.connection.messages {
                    if Task.isCancelled { break }
                    self.receive(envelope, hub: hub)
                }
            }
        }
    }

    /// Waits until ready and then one more hello interval, so that the services' hellos have
    /// been heard; at most `timeout`. Returns whether the edge became ready.
    func warmUp(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isReady && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard isReady else { return false }
        try? await Task.sleep(for: .milliseconds(helloInterval + 200))
        return true
    }

    /// Stops publishing and closes the connection (queued messages get the linger time).
    func close() async {
        delivery.close()
        await connection.close()
    }

    /// Takes one message from the bus: hellos feed the delivery client and the HTTP routes,
    /// replies end their pending event and go to the hub with emits, resync requests are answered.
    func receive(_ envelope: Envelope, hub: EdgeHub) {
        let header = envelope.header
        switch header.type {
        case .hello:
            delivery.receive(envelope)
            noteHTTPRoutes(envelope)
            if header.from == instance {
                let first = ready.withLock { isReady -> Bool in
                    defer { isReady = true }
                    return !isReady
                }
                if first { logger.info("ready: heard our own hello back", metadata: ["instance": "\(instance)"]) }
            }
        case .reply:
            // The delivery client ends the pending event first; the instructions follow on the loop.
            delivery.receive(envelope)
            hub.loop.execute { hub.apply(envelope) }
        case .emit:
            hub.loop.execute { hub.apply(envelope) }
        case .event where header.event == "resync":
            hub.loop.execute { hub.answerResync(envelope) }
        case .event, .life:
            break
        }
    }

    private func announce() async {
        while !Task.isCancelled {
            let hello = Hello(service: "edge", instance: instance, started: started, ready: isReady, handles: [],
                              life: [], interval: helloInterval)
            if let envelope = try? Envelope(topic: Topic.hello, header: BusHeader(type: .hello, from: instance),
                                            encoding: hello)
            {
                connection.publish(envelope)
            }
            try? await Task.sleep(for: .milliseconds(isReady ? helloInterval : 100))
        }
    }

    /// The best HTTP route for a request (see ``HTTPRouteTable/match(method:path:)``).
    func matchHTTP(method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match? {
        let table = httpRoutes.withLock { $0.table }
        return try table.match(method: method, path: path)
    }

    /// Records the HTTP routes of a ready hello, as the delivery client records its routes.
    private func noteHTTPRoutes(_ envelope: Envelope) {
        guard let hello = try? envelope.decodeBody(as: Hello.self), hello.ready else { return }
        let routes = hello.handles.filter { $0.ns == HTTPRoute.namespace }
        guard !routes.isEmpty else { return }
        let unreadable = httpRoutes.withLock { state in
            routes.filter { !state.table.announce($0.event, service: hello.service) }
                .filter { state.unreadable.insert($0.event).inserted }
        }
        for route in unreadable {
            logger.warning("ignored an HTTP route that cannot be read (want \"<METHOD> /<pattern>\")",
                           metadata: ["route": "\(route.event)", "from": "\(hello.instance)"])
        }
    }

    /// Publishes a client event to the service that announced `route`.
    func send(_ event: Envelope, route: Route, completion: @escaping DeliveryClient.Completion) {
        delivery.send(event, route: route, completion: completion)
    }

    /// Publishes a fact about a socket on `life` (header `event` = the kind, body `[fact]`).
    func publishLife(_ kind: LifeFactKind, fact: JSON, user: Identity?, re: String? = nil) {
        var header = BusHeader(type: .life, from: instance, re: re)
        header.event = kind.rawValue
        header.edge = instance
        header.user = user
        header.sid = fact["sid"]?.stringValue
        header.ns = fact["ns"]?.stringValue
        guard let envelope = try? Envelope(topic: Topic.life, header: header, encoding: [fact]) else { return }
        connection.publish(envelope)
    }
}

extension EdgeHub {
    /// Answers a resync request (presence rebuilding itself): one `snapshot` life fact with
    /// every live socket of this edge, its user and its rooms.
    func answerResync(_ request: Envelope) {
        var list: [JSON] = []
        for (sid, record) in sockets.sorted(by: { $0.key < $1.key }) {
            var socket: [String: JSON] = [
                "sid": .string(sid), "ns": .string(record.namespace),
                "rooms": .array((rooms[record.namespace]?.rooms(of: sid) ?? []).sorted().map(JSON.string)),
            ]
            if let identity = record.admitted.identity { socket["user"] = Self.json(identity) }
            list.append(.object(socket))
        }
        bus.publishLife(.snapshot, fact: ["edge": .string(bus.instance), "sockets": .array(list)], user: nil,
                        re: request.header.id)
    }
}
