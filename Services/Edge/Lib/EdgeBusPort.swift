import Bus
import Contracts

/// What the edge needs of the bus: a protocol in front of the bus bridge (``EdgeBus``), so that
/// the hub's logic is tested against a fake, without ZeroMQ.
///
/// Messages come back two ways, each once: the reply to an event this edge published goes to
/// that event's completion (``send(_:route:completion:)``); everything else the bridge hears
/// (emits, replies to other edges' events, late or repeated replies, resync requests) goes to
/// ``EdgeHub/receive(_:)``.
protocol EdgeBusPort: Sendable {
    /// This edge's instance id, e.g. `edge-4f2a9c`.
    var instance: String { get }

    /// `true` once the edge heard its own hello back.
    var isReady: Bool { get }

    /// Events waiting for a reply.
    var pendingCount: Int { get }

    /// Publishes an event for the service that announced `route`; `completion` gets its reply or
    /// its failure exactly once, on any thread. Until then the bus client's pending table keeps
    /// the event, and `completion` what waits for it (an ``OutstandingRequest``): that table is
    /// the edge's only table of outstanding requests.
    func send(_ event: Envelope, route: Route, completion: @escaping DeliveryClient.Completion)

    /// The numbering of this edge's life facts (its position is in every hello).
    var life: LifeStream { get }

    /// Numbers a life fact and publishes it on `life` (``LifeStream/publish(_:via:)``).
    func publishLife(_ fact: LifeFact)

    /// Publishes a snapshot answering the resync request `re`, stamped `stamp`.
    func publishSnapshot(_ sockets: [LifeSocket], stamp: LifeStamp, re: String?)

    /// What a client gets when an event of `route` fails, as its service declared in hello
    /// (``FailureShapeTable/shape(for:)``); `nil`: the edge's default.
    func failureShape(for route: Route) -> FailureShape?

    /// The best HTTP route services announced on HTTP namespace `namespace` for a request
    /// (``HTTPRouteTable/match(in:method:path:)``).
    func matchHTTP(in namespace: String, method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match?
}
