import Bus
import Contracts
import Foundation
import Logging
import Synchronization

/// The edge's side of the bus: a ``BusClient`` that announces the edge in `hello`, publishes
/// client events through the delivery rules and life facts on `life`, and hands every
/// instruction for this edge (topics `edge` and `edge.<id>`) to the hub.
final class EdgeBus: Sendable {
    /// This edge's instance id, e.g. `edge-4f2a9c`.
    let instance: String
    private let client: BusClient
    private let logger: Logger
    /// The HTTP routes heard in ready hellos (pairs with namespace `http`), and the texts that
    /// were not routes (logged once each).
    private let httpRoutes = Mutex((table: HTTPRouteTable(), unreadable: Set<String>()))

    init(configuration: BusConnection.Configuration, delivery bounds: EdgeConfiguration.Delivery,
         instance: String, logger: Logger) throws
    {
        self.instance = instance
        self.logger = logger
        var client = BusClient.Configuration(instance: instance)
        client.bus = configuration
        client.delivery.retryIntervalMilliseconds = bounds.retryMilliseconds
        client.delivery.maxAgeMilliseconds = bounds.maxAgeMilliseconds
        client.delivery.maxCount = bounds.maxPending
        // Replies come on `edge` (room emits every edge carries out) or `edge.<id>`, not an inbox.
        client.usesInbox = false
        client.subscriptions = [.exact(Topic.edge), .exact(Topic.edge(instance))]
        client.announcement = BusClient.Announcement(service: "edge")
        self.client = try BusClient(configuration: client, logger: logger)
    }

    /// `true` once the edge heard its own hello back.
    var isReady: Bool { client.isReady }

    /// Events waiting for a reply.
    var pendingCount: Int { client.pendingCount }

    /// Runs the bus client (message pump, hellos, delivery clock) until cancelled.
    func run(hub: EdgeHub) async {
        await client.run(BusClient.Handlers(messages: { batch in
            for envelope in batch { self.carryOut(envelope, hub: hub) }
        }))
    }

    /// Waits until ready and then one more hello interval, so that the services' hellos have
    /// been heard; at most `timeout`. Returns whether the edge became ready.
    func warmUp(timeout: Duration) async -> Bool {
        guard await client.waitUntilReady(timeout: timeout) else { return false }
        try? await Task.sleep(for: .milliseconds(client.configuration.helloIntervalMilliseconds + 200))
        return true
    }

    /// Stops publishing and closes the connection (queued messages get the linger time).
    func close() async {
        await client.shutdown()
    }

    /// Takes one message from the bus as ``run(hub:)`` does: the bus client notes hellos and
    /// ends the pending event of a reply, then ``carryOut(_:hub:)`` does the edge's part.
    func receive(_ envelope: Envelope, hub: EdgeHub) {
        for envelope in client.take([envelope]) { carryOut(envelope, hub: hub) }
    }

    /// The edge's part of a received message: hellos feed the HTTP routes, replies and emits
    /// go to the hub, resync requests are answered.
    private func carryOut(_ envelope: Envelope, hub: EdgeHub) {
        let header = envelope.header
        switch header.type {
        case .hello:
            noteHTTPRoutes(envelope)
        case .reply, .emit:
            hub.loop.execute { hub.apply(envelope) }
        case .event where header.event == "resync":
            hub.loop.execute { hub.answerResync(envelope) }
        case .event, .life:
            break
        }
    }

    /// The best HTTP route for a request (see ``HTTPRouteTable/match(method:path:)``).
    func matchHTTP(method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match? {
        let table = httpRoutes.withLock { $0.table }
        return try table.match(method: method, path: path)
    }

    /// Records the HTTP routes of a ready hello, as the bus client records its routes.
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
        client.send(event, route: route, completion: completion)
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
        client.publish(envelope)
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
