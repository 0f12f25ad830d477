import Contracts

/// One socket anywhere in the system: socket ids are only unique per edge, so the edge's
/// instance id is part of the key.
public struct SocketKey: Hashable, Comparable, Sendable {
    /// Instance id of the edge holding the socket, e.g. `edge-1a2b3c`.
    public var edge: String
    /// Socket.IO socket id.
    public var sid: String

    /// The key of socket `sid` on `edge`.
    public init(edge: String, sid: String) {
        self.edge = edge
        self.sid = sid
    }

    /// Orders by edge, then by sid, so that every listing is stable.
    public static func < (lhs: SocketKey, rhs: SocketKey) -> Bool {
        (lhs.edge, lhs.sid) < (rhs.edge, rhs.sid)
    }
}

/// A room within one namespace: rooms of different namespaces are different rooms.
struct RoomKey: Hashable, Comparable, Sendable {
    /// Socket.IO namespace.
    var ns: String
    /// Room name.
    var room: String

    /// Orders by namespace, then by room name.
    static func < (lhs: RoomKey, rhs: RoomKey) -> Bool {
        (lhs.ns, lhs.room) < (rhs.ns, rhs.room)
    }
}

/// The room names presence gives a meaning to.
public enum PresenceRooms {
    /// Prefix of the marker room a socket joins when it announces a user with `addOnlineUser`
    /// (HomeAssistant). Keeping the announcement in a room keeps it on the edge, so that a
    /// `snapshot` brings it back after presence restarts.
    public static let announcedPrefix = "presence:online:"
    /// Prefix of Zizany's server rooms (`server:{serverId}`), whose online members presence reports.
    public static let serverPrefix = "server:"
    /// Prefix of HomeAssistant's personal rooms (`user:{userID}`), joined with `joinRoom`.
    public static let userPrefix = "user:"

    /// The marker room of a socket that announced `user`.
    public static func announced(_ user: String) -> String { announcedPrefix + user }

    /// HomeAssistant's personal room of `user`.
    public static func personal(_ user: String) -> String { userPrefix + user }

    /// The user a marker room names, or `nil` when `room` is not a marker room.
    static func announcedUser(_ room: String) -> String? {
        guard room.hasPrefix(announcedPrefix), room.count > announcedPrefix.count else { return nil }
        return String(room.dropFirst(announcedPrefix.count))
    }

    /// The server id a server room names, or `nil` when `room` is not a server room.
    static func serverID(_ room: String) -> String? {
        guard room.hasPrefix(serverPrefix), room.count > serverPrefix.count else { return nil }
        return String(room.dropFirst(serverPrefix.count))
    }
}

/// User and server ids: carried as text inside presence, written back as JSON numbers when
/// they are the canonical decimal text of an integer (`"9"` → `9`, but `"007"` stays text).
enum PresenceID {
    /// The id as its integer when it is canonical decimal text, else `nil`.
    static func integer(_ text: String) -> Int64? {
        guard let value = Int64(text), String(value) == text else { return nil }
        return value
    }

    /// The id as JSON: a number when numeric, else a string.
    static func json(_ text: String) -> JSON {
        integer(text).map(JSON.int) ?? .string(text)
    }

    /// The id a JSON value carries: a non-empty string as is, an integer as its decimal text.
    static func text(_ value: JSON?) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty: return text
        case .some(let other): return other.intValue.map { String($0) }
        case nil: return nil
        }
    }

    /// Ascending order of ids: numeric ids by value first, then the others by text.
    static func ascending(_ lhs: String, _ rhs: String) -> Bool {
        switch (integer(lhs), integer(rhs)) {
        case let (left?, right?): return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return lhs < rhs
        }
    }
}
