import Bus
import Contracts

/// The one writer of what the edge publishes: every event names this edge (`from`, `edge`),
/// asks for its reply on `edge.<instance>` and starts a trace; every life fact names the edge
/// and its socket (docs/bus-protocol.md §6, §7).
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

    /// A life fact of `kind` on topic `life` (header `event` = the kind, body `[fact]`); `sid` and
    /// `ns` come from the fact, `re` names the request a snapshot answers.
    func life(_ kind: LifeFactKind, fact: JSON, user: Identity?, re: String? = nil) -> Envelope? {
        var header = BusHeader(type: .life, from: instance, re: re)
        header.event = kind.rawValue
        header.edge = instance
        header.user = user
        header.sid = fact["sid"]?.stringValue
        header.ns = fact["ns"]?.stringValue
        return try? Envelope(topic: Topic.life, header: header, encoding: [fact])
    }
}

extension Identity {
    /// The identity as life facts and snapshots carry it: `{id, role?, name?}`.
    var json: JSON {
        var object: [String: JSON] = ["id": .string(id)]
        if let role { object["role"] = .string(role) }
        if let name { object["name"] = .string(name) }
        return .object(object)
    }
}
