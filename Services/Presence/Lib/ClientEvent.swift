import Contracts
import Foundation

/// The events presence answers, by their exact wire names.
public enum PresenceEvent: String, Sendable, CaseIterable {
    /// HomeAssistant: `addOnlineUser {userID, userUsername}` announces the socket's user.
    case addOnlineUser
    /// HomeAssistant: `joinRoom "id"` joins the socket to `user:{id}`.
    case joinRoom
    /// HomeAssistant: `leaveRoom "id"` takes the socket out of `user:{id}`.
    case leaveRoom
    /// Audio rooms: `user:getRoom {userId}`, acknowledged with `{roomId}`.
    case getRoom = "user:getRoom"
    /// Bus query from another service: `isOnline {userId}` → `{online: Bool}`.
    case isOnline
    /// Bus query from another service: `online {userIds}` → `{online: [...]}`.
    case online
}

/// A client event (or a service's request) as presence needs it; the runtime fills it from
/// the bus header and body.
public struct ClientEvent: Sendable, Equatable {
    /// Socket.IO namespace (header `ns`, `/` when absent).
    public var ns: String
    /// Event name (header `event`).
    public var name: String
    /// The socket the event came from (header `sid`).
    public var sid: String
    /// Instance id of the edge holding that socket (header `edge`).
    public var edge: String
    /// The authenticated identity (header `user`); `nil` for an anonymous socket.
    public var user: Identity?
    /// `true` when the client asked for an acknowledgement (header `ack`).
    public var wantsAck: Bool
    /// The event's arguments (the bus body).
    public var args: [JSON]
    /// `true` when the namespace requires authentication (`jwt`, `session`): an anonymous
    /// socket there may not announce anyone. `false` for `none` and `optional`, where an
    /// anonymous socket's payload is trusted as the contract does.
    public var namespaceRequiresAuth: Bool
    /// Milliseconds since the Unix epoch when the event was created (header `ts`); used for
    /// the `timestamp` of an `error` emit.
    public var ts: Int64

    /// An event with every field given.
    public init(ns: String = "/", name: String, sid: String, edge: String, user: Identity? = nil,
                wantsAck: Bool = false, args: [JSON] = [], namespaceRequiresAuth: Bool, ts: Int64 = 0)
    {
        self.ns = ns
        self.name = name
        self.sid = sid
        self.edge = edge
        self.user = user
        self.wantsAck = wantsAck
        self.args = args
        self.namespaceRequiresAuth = namespaceRequiresAuth
        self.ts = ts
    }

    /// The key of the socket the event came from.
    public var socket: SocketKey { SocketKey(edge: edge, sid: sid) }
}

/// What presence answers to a client event: instructions for the edges, and the arguments
/// of the client's acknowledgement when the event has one.
public struct EventOutcome: Sendable, Equatable {
    /// Instructions, carried out in order (emits, joins, leaves).
    public var instructions: [Instruction]
    /// The acknowledgement's arguments, or `nil` when the event has no acknowledgement.
    public var ack: [JSON]?

    /// An outcome from its parts.
    public init(instructions: [Instruction] = [], ack: [JSON]? = nil) {
        self.instructions = instructions
        self.ack = ack
    }

    /// The reply body: the instructions, then an `ack` for the event's socket when the
    /// client asked for one and there is one to give.
    public func reply(to event: ClientEvent) -> [Instruction] {
        guard event.wantsAck, let ack else { return instructions }
        return instructions + [.ack(Ack(sid: event.sid, args: ack))]
    }

    /// The `user:getRoom` answer when the handler failed (audio rooms' `INTERNAL_ERROR`), for the
    /// runtime to give when anything throws around ``PresenceState/getRoom(_:)``.
    public static let getRoomFailure = EventOutcome(ack: [["roomId": nil, "error": "INTERNAL_ERROR"]])
}

/// The `error` event presence sends to a HomeAssistant socket whose request it refuses, in
/// the seed's "Error Response Format" `{error, code, timestamp}`. Nothing changes when it is sent.
enum RefusalEmit {
    /// The payload is not what the contract describes.
    static let invalidPayload = "INVALID_PAYLOAD"
    /// An authenticated socket named a user id other than its own, or an anonymous socket on
    /// a namespace that requires authentication named any.
    static let forbidden = "FORBIDDEN"

    /// An `error` emit to the event's socket with `code` and a human-readable `message`.
    static func make(_ event: ClientEvent, code: String, message: String) -> Instruction {
        let payload: JSON = ["error": .string(message), "code": .string(code),
                             "timestamp": .string(Timestamp.iso8601(event.ts))]
        return .emit(Emit(ns: event.ns, event: "error", args: [payload], to: Audience(sids: [event.sid])))
    }
}
