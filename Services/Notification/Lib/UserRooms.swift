import Contracts

/// A socket, by the edge that holds it and its id.
public struct SocketKey: Hashable, Sendable {
    /// Instance id of the edge.
    public var edge: String
    /// Socket.IO socket id.
    public var sid: String

    /// The socket `sid` of `edge`.
    public init(edge: String, sid: String) {
        self.edge = edge
        self.sid = sid
    }
}

/// A personal room `user:{id}` in one namespace.
public struct UserRoom: Hashable, Sendable, Comparable {
    /// Socket.IO namespace.
    public var ns: String
    /// The user id (the room is `user:{user}`).
    public var user: String

    /// The room of `user` in `ns`.
    public init(ns: String, user: String) {
        self.ns = ns
        self.user = user
    }

    /// The room's name, `user:{id}`.
    public var name: String { UserRoom.prefix + user }

    /// The room prefix HomeAssistant uses for personal notification rooms.
    public static let prefix = "user:"

    /// The user room named `room` in `ns`, or `nil` when `room` is not a `user:` room.
    public init?(ns: String, room: String) {
        guard room.hasPrefix(Self.prefix), room.count > Self.prefix.count else { return nil }
        self.init(ns: ns, user: String(room.dropFirst(Self.prefix.count)))
    }

    /// Orders by namespace, then user.
    public static func < (lhs: UserRoom, rhs: UserRoom) -> Bool { (lhs.ns, lhs.user) < (rhs.ns, rhs.user) }
}

/// Which sockets are in which `user:` rooms, from the edges' life facts: enough to know whether
/// anybody would receive an emit to `user:{id}` now. Other rooms are ignored.
public struct UserRooms: Sendable, Equatable {
    private(set) var rooms: [SocketKey: Set<UserRoom>] = [:]
    private(set) var occupancy: [UserRoom: Int] = [:]

    /// Nothing known.
    public init() {}

    /// `true` while at least one socket is in the room.
    public func isOccupied(_ room: UserRoom) -> Bool { (occupancy[room] ?? 0) > 0 }

    /// `true` when `socket` is in `room`.
    public func contains(_ socket: SocketKey, in room: UserRoom) -> Bool { rooms[socket]?.contains(room) ?? false }

    /// Every room with at least one socket, sorted.
    public var occupiedRooms: [UserRoom] { occupancy.keys.filter(isOccupied).sorted() }

    /// Number of sockets known (in at least one `user:` room).
    public var socketCount: Int { rooms.count }

    /// `socket` joined `room`; `false` when it already was in it.
    @discardableResult
    public mutating func join(_ socket: SocketKey, _ room: UserRoom) -> Bool {
        guard rooms[socket, default: []].insert(room).inserted else { return false }
        occupancy[room, default: 0] += 1
        return true
    }

    /// `socket` left `room`.
    public mutating func leave(_ socket: SocketKey, _ room: UserRoom) {
        guard rooms[socket]?.remove(room) != nil else { return }
        if rooms[socket]?.isEmpty == true { rooms[socket] = nil }
        decrement(room)
    }

    /// `socket` is gone.
    public mutating func drop(_ socket: SocketKey) {
        for room in rooms.removeValue(forKey: socket) ?? [] { decrement(room) }
    }

    private mutating func decrement(_ room: UserRoom) {
        let left = (occupancy[room] ?? 1) - 1
        occupancy[room] = left > 0 ? left : nil
    }
}
