import Contracts
import Foundation

/// A client event (or life fact) as a handler sees it.
public struct Event: Sendable {
    /// The bus header: ids, namespace, event name, socket, edge, identity.
    public let header: BusHeader
    /// The event's arguments (without the client's ack callback).
    public let args: [JSON]
    /// Binary attachments, in the order of the placeholders in `args`.
    public let attachments: [Data]

    /// An event from its parts.
    public init(header: BusHeader, args: [JSON], attachments: [Data] = []) {
        self.header = header
        self.args = args
        self.attachments = attachments
    }

    /// `(namespace, event)`.
    public var route: Route { Route(ns: header.ns ?? "/", event: header.event ?? "") }
    /// The authenticated identity; `nil` for anonymous sockets. Never read identity from `args`.
    public var user: Identity? { header.user }
    /// The socket the event came from.
    public var sid: String? { header.sid }
    /// `true` when the client asked for an acknowledgement.
    public var wantsAck: Bool { header.ack ?? false }

    /// An `ack` instruction answering this event with `args`, or nothing when no ack was asked.
    public func acknowledge(_ args: [JSON]) -> [Instruction] {
        guard wantsAck, let sid else { return [] }
        return [.ack(Ack(sid: sid, args: args))]
    }
}

/// A handler: from an event and its context to the instructions that answer it.
public typealias Handler = @Sendable (Event, Context) async throws -> [Instruction]
