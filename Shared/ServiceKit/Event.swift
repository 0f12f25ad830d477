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

    /// `true` when an anonymous socket's payload may say who is acting: the namespace's auth
    /// mode (header `auth`) is `none` or `optional`, as the contracts' own servers trust their
    /// clients. Any other mode, none given, or an HTTP request (`ns` `http` or `<app>:http`) trusts nothing;
    /// an identity always wins.
    public var trustsPayloadIdentity: Bool {
        !Route.isHTTPNamespace(header.ns ?? "") && (header.auth == "none" || header.auth == "optional")
    }

    /// An `ack` instruction answering this event with `args`, or nothing when no ack was asked.
    public func acknowledge(_ args: [JSON]) -> [Instruction] {
        guard wantsAck, let sid else { return [] }
        return [.ack(Ack(sid: sid, args: args))]
    }
}

/// A handler: from an event and its context to the instructions that answer it.
public typealias Handler = @Sendable (Event, Context) async throws -> [Instruction]

/// Socket changes a service's mirror of the edges hands on (``ServiceDefinition/mirrorSockets(startTimeout:_:)``).
public struct SocketUpdate: Sendable, Equatable {
    /// The changes, in order, to apply as one unit.
    public var changes: [SocketChange]
    /// Why they came: a live fact, an edge rebuilt or gone, or (once) the start.
    public var cause: SocketCause
    /// For a start or a rebuild: the socket ids of each edge the update describes in full.
    public var parts: [String: Set<String>]

    /// An update from its parts.
    public init(changes: [SocketChange], cause: SocketCause = .fact, parts: [String: Set<String>] = [:]) {
        self.changes = changes
        self.cause = cause
        self.parts = parts
    }

    /// An update from its parts; `isInitial` makes it the start's.
    public init(changes: [SocketChange], isInitial: Bool) {
        self.init(changes: changes, cause: isInitial ? .start : .fact)
    }

    /// `true` once, at start: the changes build every socket known from nothing, and describe
    /// what already was rather than what just happened.
    public var isInitial: Bool { cause == .start }
}

/// What a change to the edges' sockets means to a service: the instructions it calls for.
public typealias SocketHandler = @Sendable (SocketUpdate, Context) async throws -> [Instruction]
