import Contracts
import Foundation
import ServiceKit

/// The presence service on the bus: ``PresenceState`` fed with client events and with the
/// socket changes of ServiceKit's mirror of the edges, which rebuilds it from every edge's
/// snapshot before it announces itself.
public enum PresenceService {
    /// The client events presence answers, per contract: HomeAssistant's online users and
    /// personal rooms, and the audio rooms' `user:getRoom`. The bus queries are on namespace `""`,
    /// which no client namespace can be: another service asks with `ns: ""`, `ack: true`, and reads
    /// the answer from the reply's `ack` instruction.
    static let homeEvents: [PresenceEvent] = [.addOnlineUser, .joinRoom, .leaveRoom]
    static let audioEvents: [PresenceEvent] = [.getRoom]
    static let queries: [PresenceEvent] = [.isOnline, .online]

    /// The service definition with every client event on each of `namespaces`
    /// (`PRESENCE_NAMESPACES=/,/other`).
    public static func definition(namespaces: [String], rebuildTimeout: Duration = .seconds(3)) -> ServiceDefinition {
        definition(home: namespaces, audio: namespaces, rebuildTimeout: rebuildTimeout)
    }

    /// The service definition: HomeAssistant's events on `home`, the audio rooms' on `audio`
    /// (each by default on `/` and on its own app's namespace, docs/edge.md "Apps": state is kept
    /// per namespace, so what one app's sockets do is never seen by another's). `rebuildTimeout`
    /// bounds how long start-up waits for the edges' snapshots.
    public static func definition(home: [String] = ["/", "homeassistant/"], audio: [String] = ["/", "audio/"],
                                  rebuildTimeout: Duration = .seconds(3)) -> ServiceDefinition {
        let book = PresenceBook()
        var definition = ServiceDefinition(name: "presence")
        for (events, namespaces) in [(homeEvents, home), (audioEvents, audio)] {
            for namespace in namespaces {
                for event in events {
                    definition.on(namespace, event.rawValue) { event, _ in book.answer(event) }
                    PresenceFailures.declare(event, on: namespace, in: &definition)
                }
            }
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
