import Contracts
import Foundation
import ServiceKit

/// The presence service on the bus: ``PresenceState`` fed with client events and with the
/// socket changes of ServiceKit's mirror of the edges, which rebuilds it from every edge's
/// snapshot before it announces itself.
public enum PresenceService {
    /// The client events presence answers on `/`, and the bus queries (namespace `""`, which no
    /// client namespace can be: another service asks with `ns: ""`, `ack: true`, and reads the
    /// answer from the reply's `ack` instruction).
    static let clientEvents: [PresenceEvent] = [.addOnlineUser, .joinRoom, .leaveRoom, .getRoom]
    static let queries: [PresenceEvent] = [.isOnline, .online]

    /// The service definition: the client events on each of `namespaces` (the contracts use
    /// `/`; `PRESENCE_NAMESPACES=/,/other` adds more). `rebuildTimeout` bounds how long
    /// start-up waits for the edges' snapshots.
    public static func definition(namespaces: [String] = ["/"],
                                  rebuildTimeout: Duration = .seconds(3)) -> ServiceDefinition {
        let book = PresenceBook()
        var definition = ServiceDefinition(name: "presence")
        for namespace in namespaces {
            for event in clientEvents {
                definition.on(namespace, event.rawValue) { event, _ in book.answer(event) }
            }
            PresenceFailures.declare(on: namespace, in: &definition)
        }
        for query in queries {
            definition.on("", query.rawValue) { event, _ in book.answer(event) }
        }
        definition.mirrorSockets(startTimeout: rebuildTimeout) { update, _ in book.apply(update) }
        return definition
    }
}

extension ClientEvent {
    /// The event as presence needs it, from the bus header and arguments.
    init(_ event: Event) {
        self.init(ns: event.route.ns, name: event.route.event, sid: event.sid ?? "",
                  edge: event.header.edge ?? event.header.from, user: event.user, wantsAck: event.wantsAck,
                  args: event.args, namespaceRequiresAuth: !event.trustsPayloadIdentity,
                  ts: event.header.ts)
    }
}
