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

    /// Publishes a message that expects no reply (a life fact).
    func publish(_ envelope: Envelope)

    /// The best HTTP route services announced for a request (``HTTPRouteTable/match(method:path:)``).
    func matchHTTP(method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match?
}
