import Bus
import Contracts

/// The one writer of what the edge publishes: every event names this edge (`from`, `edge`),
/// asks for its reply on `edge.<instance>` and starts a trace (docs/bus-protocol.md §6, §7).
/// Life facts are written by ``LifeRecord`` and numbered by ``LifeStream``.
struct EdgeHeaders: Sendable {
    /// This edge's instance id.
    let instance: String

    /// The header of an event for the service of `route`: `sid` is the socket it came from
    /// (`http-…` for an HTTP request, none for a connect decision), `ack` whether an answer is
    /// wanted (absent for a decision), `ip` the client's address, `auth` how it was authenticated.
    func event(_ route: Route, sid: String?, user: Identity?, ack: Bool?, ip: String, auth: String?) -> BusHeader {
        var header = BusHeader(type: .event, from: instance)
        header.ns = route.ns
        header.event = route.event
        header.sid = sid
        header.edge = instance
        header.user = user
        header.ack = ack
        header.ip = ip
        header.auth = auth
        header.replyTo = Topic.edge(instance)
        header.traceparent = MessageID.traceparent()
        return header
    }
}
