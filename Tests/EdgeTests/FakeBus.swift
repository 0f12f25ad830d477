import Bus
import Contracts
import Foundation
import Synchronization
@testable import Edge

/// A bus port for the hub's tests, without ZeroMQ: it keeps the events the edge sends so that a
/// test answers each as a service would (or fails it as the delivery rules would), and records
/// what the edge publishes. Like the real bus client, it refuses at once an event whose route
/// was made unknown.
final class FakeBus: EdgeBusPort {
    /// An event the edge sent and the completion that answers it.
    struct Sent: Sendable {
        /// The event as the edge handed it over.
        let event: Envelope
        /// The route it was sent for.
        let route: Route
        /// Ends the event (once), as the bus client would.
        let completion: DeliveryClient.Completion
    }

    private struct State {
        var unknown: Set<Route> = []
        var routes = HTTPRouteTable()
        var failureShapes = FailureShapeTable()
        var sent: [Sent] = []
        var waiting = 0
        var published: [Envelope] = []
    }

    private let state = Mutex(State())

    let instance = "edge-test"

    var isReady: Bool { true }

    var pendingCount: Int { state.withLock { $0.waiting } }

    func send(_ event: Envelope, route: Route, completion: @escaping DeliveryClient.Completion) {
        let known = state.withLock { state in
            guard !state.unknown.contains(route) else { return false }
            state.sent.append(Sent(event: event, route: route, completion: completion))
            state.waiting += 1
            return true
        }
        if !known { completion(.failure(.unknownEvent(route))) }
    }

    let life = LifeStream(edge: "edge-test", epoch: 1_795_326_480_000)

    func publishLife(_ fact: LifeFact) {
        life.publish(fact) { envelope in state.withLock { $0.published.append(envelope) } }
    }

    func publishSnapshot(_ sockets: [LifeSocket], stamp: LifeStamp, re: String?) {
        life.publishSnapshot(sockets, stamp: stamp, re: re) { envelope in state.withLock { $0.published.append(envelope) } }
    }

    func matchHTTP(in namespace: String, method: String, path: String) throws(HTTPRequestError) -> HTTPRouteTable.Match? {
        let table = state.withLock { $0.routes }
        return try table.match(in: namespace, method: method, path: path)
    }

    func failureShape(for route: Route) -> FailureShape? {
        state.withLock { $0.failureShapes.shape(for: route) }
    }

    // MARK: - For the tests

    /// Declares failure shapes as a service's hello would.
    func declare(_ shapes: FailureShape...) {
        state.withLock { $0.failureShapes.note(shapes) }
    }

    /// Makes `route` one no service announced: its events fail at once with `UNKNOWN_EVENT`.
    func forget(_ route: Route) {
        state.withLock { _ = $0.unknown.insert(route) }
    }

    /// Announces HTTP routes (`GET /api/x/:id`) on HTTP namespace `namespace` as the service
    /// `service` would in its hello.
    func announceHTTP(_ routes: String..., in namespace: String = "http", service: String = "chat") {
        state.withLock { state in
            for route in routes { state.routes.announce(route, in: namespace, service: service) }
        }
    }

    /// Every event sent so far, oldest first (answered ones too).
    var sent: [Sent] { state.withLock { $0.sent } }

    /// Answers `sent` as its service would: a reply (`re` its id) holding `instructions` and the
    /// `attachments` their placeholders number, or failing with `error`. Returns the reply.
    @discardableResult
    func reply(to sent: Sent, _ instructions: [Instruction], attachments: [Data] = [], error: String? = nil) throws
        -> Envelope
    {
        var header = BusHeader(type: .reply, from: "svc-1", re: sent.event.header.id)
        header.sid = sent.event.header.sid
        header.edge = sent.event.header.edge
        header.error = error
        let reply = try Envelope(topic: sent.event.header.replyTo ?? Topic.edge, header: header,
                                 encoding: instructions, attachments: attachments)
        answer(sent, .success(reply))
        return reply
    }

    /// Ends `sent` with `failure`, as the delivery rules would.
    func fail(_ sent: Sent, _ failure: DeliveryFailure) {
        answer(sent, .failure(failure))
    }

    /// What the edge published since the last call (life facts), oldest first.
    func takePublished() -> [Envelope] {
        state.withLock { state in
            defer { state.published = [] }
            return state.published
        }
    }

    private func answer(_ sent: Sent, _ result: Result<Envelope, DeliveryFailure>) {
        state.withLock { $0.waiting -= 1 }
        sent.completion(result)
    }
}
