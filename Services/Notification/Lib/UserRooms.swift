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

    /// Every socket of `edge` is gone.
    public mutating func dropEdge(_ edge: String) {
        for socket in rooms.keys where socket.edge == edge { drop(socket) }
    }

    /// Replaces what is known about `snapshot`'s edge with its content.
    public mutating func apply(_ snapshot: EdgeSnapshot) {
        dropEdge(snapshot.edge)
        for socket in snapshot.sockets {
            for room in socket.rooms { join(SocketKey(edge: snapshot.edge, sid: socket.sid), room) }
        }
    }

    private mutating func decrement(_ room: UserRoom) {
        let left = (occupancy[room] ?? 1) - 1
        occupancy[room] = left > 0 ? left : nil
    }
}

/// An edge's answer to a resync, reduced to the `user:` rooms of its sockets.
public struct EdgeSnapshot: Sendable, Equatable {
    /// One socket and its `user:` rooms.
    public struct Socket: Sendable, Equatable {
        /// Socket id.
        public var sid: String
        /// The socket's `user:` rooms.
        public var rooms: [UserRoom]

        /// A socket from its parts.
        public init(sid: String, rooms: [UserRoom]) {
            self.sid = sid
            self.rooms = rooms
        }
    }

    /// Instance id of the edge.
    public var edge: String
    /// Its sockets.
    public var sockets: [Socket]

    /// A snapshot from its parts.
    public init(edge: String, sockets: [Socket]) {
        self.edge = edge
        self.sockets = sockets
    }
}

/// The life facts the notification service uses (`docs/edge.md`), decoded from the fact object.
public enum RoomFact: Sendable, Equatable {
    /// `joined {sid, ns, room}` for a `user:` room.
    case joined(SocketKey, UserRoom)
    /// `left {sid, ns, room}` for a `user:` room.
    case left(SocketKey, UserRoom)
    /// `disconnected {sid, ns, ...}`.
    case disconnected(SocketKey)
    /// `snapshot {edge, sockets: [{sid, ns, rooms}]}`.
    case snapshot(EdgeSnapshot)

    /// The fact of kind `kind` in `fact`, published by `edge`; `nil` for facts about other rooms,
    /// `connected`, and malformed facts (missing `sid`/`room`).
    public init?(kind: LifeFactKind, fact: JSON, edge: String) {
        let ns = fact["ns"]?.stringValue ?? "/"
        switch kind {
        case .joined, .left:
            guard let sid = fact["sid"]?.stringValue, let name = fact["room"]?.stringValue,
                  let room = UserRoom(ns: ns, room: name) else { return nil }
            let socket = SocketKey(edge: edge, sid: sid)
            self = kind == .joined ? .joined(socket, room) : .left(socket, room)
        case .disconnected:
            guard let sid = fact["sid"]?.stringValue else { return nil }
            self = .disconnected(SocketKey(edge: edge, sid: sid))
        case .snapshot:
            guard let list = fact["sockets"]?.arrayValue else { return nil }
            let snapshotEdge = fact["edge"]?.stringValue ?? edge
            let sockets = list.compactMap { entry -> EdgeSnapshot.Socket? in
                guard let sid = entry["sid"]?.stringValue else { return nil }
                let socketNS = entry["ns"]?.stringValue ?? "/"
                let rooms = (entry["rooms"]?.arrayValue ?? []).compactMap(\.stringValue)
                    .compactMap { UserRoom(ns: socketNS, room: $0) }
                return EdgeSnapshot.Socket(sid: sid, rooms: rooms)
            }
            self = .snapshot(EdgeSnapshot(edge: snapshotEdge, sockets: sockets))
        case .connected:
            return nil
        }
    }
}

extension UserRooms {
    /// Applies a fact.
    public mutating func apply(_ fact: RoomFact) {
        switch fact {
        case .joined(let socket, let room): join(socket, room)
        case .left(let socket, let room): leave(socket, room)
        case .disconnected(let socket): drop(socket)
        case .snapshot(let snapshot): apply(snapshot)
        }
    }
}
