import Bus
import Contracts
import Foundation
import Logging
import Synchronization

/// The bus bridge: a ``BusClient`` that announces the edge in `hello`, publishes client events
/// through the delivery rules and life facts on `life`, keeps the HTTP routes services announce,
/// and hands the hub every message for this edge (topics `edge` and `edge.<id>`) that no waiting
/// event took. The hub sees it as its ``EdgeBusPort``.
final class EdgeBus: EdgeBusPort {
    /// This edge's instance id, e.g. `edge-4f2a9c`.
    let instance: String
    /// The numbering of this edge's life facts.
    let life: LifeStream
    private let client: BusClient
    private let logger: Logger
    /// The HTTP routes heard in ready hellos (pairs with namespace `http`), and the texts that
    /// were not routes (logged once each).
    private let httpRoutes = Mutex((table: HTTPRouteTable(), unreadable: Set<String>()))
    /// The failure shapes heard in ready hellos.
    private let failureShapes = Mutex(FailureShapeTable())

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
        // Replies come on `edge.<id>`, or on `edge` when every edge must carry them out; not on an inbox.
        client.usesInbox = false
        client.subscriptions = [.exact(Topic.edge), .exact(Topic.edge(instance))]
        let life = LifeStream(edge: instance)
        self.life = life
        var announcement = BusClient.Announcement(service: "edge")
        announcement.lifeStream = { life.position }
        client.announcement = announcement
        self.client = try BusClient(configuration: client, logger: logger)
    }

    /// `true` once the edge heard its own hello back.
    var isReady: Bool { client.isReady }

    /// Events waiting for a reply.
    var pendingCount: Int { client.pendingCount }

    /// Runs the bus client (message pump, hellos, delivery clock) until cancelled: hellos feed
    /// the HTTP routes, every other message goes to `hub` (``EdgeHub/receive(_:)``).
    func run(hub: EdgeHub) async {
        await client.run(BusClient.Handlers(messages: { batch in
            for envelope in batch {
                if envelope.header.type == .hello {
                    self.noteHTTPRoutes(envelope)
                } else {
                    hub.receive(envelope)
                }
            }
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

    /// The best HTTP route for a request (see ``HTTPRouteTable/match(in:method:path:)``).
    func matchHTTP(in namespace: String, method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match? {
        let table = httpRoutes.withLock { $0.table }
        return try table.match(in: namespace, method: method, path: path)
    }

    /// What services declared their failed events get (``FailureShapeTable/shape(for:)``).
    func failureShape(for route: Route) -> FailureShape? {
        failureShapes.withLock { $0.shape(for: route) }
    }

    /// Records the HTTP routes and failure shapes of a ready hello, as the bus client records its routes.
    private func noteHTTPRoutes(_ envelope: Envelope) {
        guard let hello = try? envelope.decodeBody(as: Hello.self), hello.ready else { return }
        if let failures = hello.failures, !failures.isEmpty { failureShapes.withLock { $0.note(failures) } }
        let routes = hello.handles.filter { Route.isHTTPNamespace($0.ns) }
        guard !routes.isEmpty else { return }
        let unreadable = httpRoutes.withLock { state in
            routes.filter { !state.table.announce($0.event, in: $0.ns, service: hello.service) }
                .filter { state.unreadable.insert($0.event).inserted }
        }
        for route in unreadable {
            logger.warning("ignored an HTTP route that cannot be read (want \"<METHOD> /<pattern>\")",
                           metadata: ["route": "\(route.event)", "from": "\(hello.instance)"])
        }
    }

    /// Publishes an event to the service that announced `route` (the delivery rules).
    func send(_ event: Envelope, route: Route, completion: @escaping DeliveryClient.Completion) {
        client.send(event, route: route, completion: completion)
    }

    /// Numbers a life fact and publishes it, in the order of its number.
    func publishLife(_ fact: LifeFact) {
        life.publish(fact, via: client.publish)
    }

    /// Publishes a snapshot answering the resync request `re`.
    func publishSnapshot(_ sockets: [LifeSocket], stamp: LifeStamp, re: String?) {
        life.publishSnapshot(sockets, stamp: stamp, re: re, via: client.publish)
    }
}
