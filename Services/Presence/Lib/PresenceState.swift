import Contracts

/// Who is online and where: the whole state of the presence service, as a value.
///
/// It holds every socket the edges reported (keyed by edge and sid) with its namespace, its
/// authenticated user, and the rooms it is in, each with the sequence number of its join.
/// Life facts and client events change it through mutating methods that return the
/// instructions the change calls for; the read views below answer the queries.
///
/// - A socket's *user* is its authenticated identity, else the user it announced with
///   `addOnlineUser` (kept as membership of the marker room `presence:online:{id}`).
/// - A user is *online* while at least one socket with that user is connected, on any edge
///   and in any namespace.
/// - A user is in HomeAssistant's *online set* of a namespace while at least one of its
///   sockets there has announced it (is in its marker room).
/// - The *online members* of a Zizany server room are the distinct users of its sockets.
/// - The *room a user is in* (audio rooms) is the most recently joined room, over all of the
///   user's sockets in the namespace, whose name has none of ``systemRoomPrefixes``.
public struct PresenceState: Sendable {
    /// One connected socket.
    struct SocketRecord: Sendable, Equatable {
        /// Its namespace.
        var ns: String
        /// Its authenticated user id, if any.
        var identity: String?
        /// The rooms it is in, each with the sequence number of its join (higher is more recent).
        var rooms: [String: UInt64] = [:]

        /// The user it announced last (its most recently joined marker room), if any.
        var announced: String? {
            rooms.filter { PresenceRooms.announcedUser($0.key) != nil }
                .max { $0.value < $1.value }
                .flatMap { PresenceRooms.announcedUser($0.key) }
        }

        /// The user the socket belongs to: authenticated, else announced.
        var user: String? { identity ?? announced }
    }

    /// Room-name prefixes that belong to the other contracts' bookkeeping and never count as
    /// "the room a user is in": HomeAssistant's `user:` and `room:`, Zizany's `server:` and
    /// `channel:`, and presence's own `presence:` markers.
    public static let defaultSystemRoomPrefixes = ["user:", "server:", "channel:", "room:", "presence:"]

    /// The prefixes of system rooms this state ignores when looking for a user's room.
    public let systemRoomPrefixes: [String]
    /// Every known socket.
    private(set) var sockets: [SocketKey: SocketRecord] = [:]
    /// The sockets of each user (authenticated or announced).
    private(set) var socketsByUser: [String: Set<SocketKey>] = [:]
    /// The sockets of each edge, so that a snapshot or a vanished edge touches only its own.
    private(set) var socketsByEdge: [String: Set<SocketKey>] = [:]
    /// The sockets in each room.
    private(set) var membersByRoom: [RoomKey: Set<SocketKey>] = [:]
    /// For each reported room (marker and server rooms): how many sockets of each user are in it.
    private(set) var usersInRoom: [RoomKey: [String: Int]] = [:]
    /// What the change in progress did to the reported rooms (see ``tracking(_:)``).
    var journal = Journal()
    /// The last join sequence number handed out.
    private var lastSequence: UInt64 = 0

    /// An empty state (nobody online) that ignores rooms with `systemRoomPrefixes` when
    /// looking for a user's room.
    public init(systemRoomPrefixes: [String] = PresenceState.defaultSystemRoomPrefixes) {
        self.systemRoomPrefixes = systemRoomPrefixes
    }

    /// Replaces the record of socket `key` (`nil` removes the socket), keeping the indexes in
    /// step and noting in ``journal`` every reported room that gained or lost a user or
    /// became occupied or empty.
    mutating func put(_ key: SocketKey, _ record: SocketRecord?) {
        if let old = sockets[key] {
            if let user = old.user { Self.remove(key, from: user, in: &socketsByUser) }
            for room in old.rooms.keys { enter(RoomKey(ns: old.ns, room: room), key, user: old.user, by: -1) }
            if record == nil { Self.remove(key, from: key.edge, in: &socketsByEdge) }
        }
        sockets[key] = record
        if let record {
            socketsByEdge[key.edge, default: []].insert(key)
            if let user = record.user { socketsByUser[user, default: []].insert(key) }
            for room in record.rooms.keys { enter(RoomKey(ns: record.ns, room: room), key, user: record.user, by: 1) }
        }
    }

    /// Socket `key` of `user` enters (`by: 1`) or leaves (`by: -1`) `room`.
    private mutating func enter(_ room: RoomKey, _ key: SocketKey, user: String?, by step: Int) {
        let wasOccupied = membersByRoom[room] != nil
        if step > 0 {
            membersByRoom[room, default: []].insert(key)
        } else {
            Self.remove(key, from: room, in: &membersByRoom)
        }
        guard Self.isReported(room.room) else { return }
        if wasOccupied != (membersByRoom[room] != nil) { journal.occupied[room, default: 0] += step }
        guard let user else { return }
        let count = (usersInRoom[room]?[user] ?? 0) + step
        usersInRoom[room, default: [:]][user] = count > 0 ? count : nil
        if usersInRoom[room]?.isEmpty == true { usersInRoom[room] = nil }
        if count == 0 || (count == 1 && step > 0) { journal.users[room, default: [:]][user, default: 0] += step }
    }

    /// A new join sequence number, higher than every one before.
    mutating func nextSequence() -> UInt64 {
        lastSequence += 1
        return lastSequence
    }

    /// Takes `socket` out of `index[key]`, dropping the entry when it becomes empty.
    private static func remove<Key: Hashable>(_ socket: SocketKey, from key: Key,
                                              in index: inout [Key: Set<SocketKey>])
    {
        index[key]?.remove(socket)
        if index[key]?.isEmpty == true { index[key] = nil }
    }
}
