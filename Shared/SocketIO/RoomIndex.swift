/// Who to send to, within one namespace, as socket.io's `to`/`except` chains describe it.
public struct Audience: Sendable, Hashable {
    /// Everyone in the namespace, before exclusions; when set, the sets below are not used.
    public var everyone: Bool
    /// Members of any of these rooms.
    public var rooms: Set<String>
    /// These sockets.
    public var sids: Set<String>
    /// Every socket of these users.
    public var users: Set<String>
    /// Leave out members of these rooms.
    public var exceptRooms: Set<String>
    /// Leave out these sockets.
    public var exceptSids: Set<String>

    /// An audience; by default nobody.
    public init(everyone: Bool = false, rooms: Set<String> = [], sids: Set<String> = [], users: Set<String> = [],
                exceptRooms: Set<String> = [], exceptSids: Set<String> = []) {
        self.everyone = everyone
        self.rooms = rooms
        self.sids = sids
        self.users = users
        self.exceptRooms = exceptRooms
        self.exceptSids = exceptSids
    }
}

/// The rooms and users of one namespace, indexed both ways.
///
/// Every socket added is a member; rooms and users map to sets of sids and back, so joining,
/// leaving and resolving an audience cost time in proportion to the sockets involved.
public struct RoomIndex: Sendable, Hashable {
    /// Every socket of the namespace.
    public private(set) var members: Set<String> = []
    private var sidsByRoom: [String: Set<String>] = [:]
    private var roomsBySid: [String: Set<String>] = [:]
    private var sidsByUser: [String: Set<String>] = [:]
    private var userBySid: [String: String] = [:]

    /// An empty index.
    public init() {}

    /// Adds socket `sid`, optionally as one of `user`'s sockets.
    public mutating func add(_ sid: String, user: String? = nil) {
        members.insert(sid)
        if let user {
            userBySid[sid] = user
            sidsByUser[user, default: []].insert(sid)
        }
    }

    /// Removes socket `sid` from the namespace, its rooms and its user.
    public mutating func remove(_ sid: String) {
        leaveAll(sid)
        members.remove(sid)
        if let user = userBySid.removeValue(forKey: sid) {
            sidsByUser[user]?.remove(sid)
            if sidsByUser[user]?.isEmpty == true { sidsByUser[user] = nil }
        }
    }

    /// Puts socket `sid` in `room`; the socket is added to the namespace if needed.
    public mutating func join(_ sid: String, room: String) {
        members.insert(sid)
        sidsByRoom[room, default: []].insert(sid)
        roomsBySid[sid, default: []].insert(room)
    }

    /// Takes socket `sid` out of `room`; an emptied room disappears.
    public mutating func leave(_ sid: String, room: String) {
        sidsByRoom[room]?.remove(sid)
        if sidsByRoom[room]?.isEmpty == true { sidsByRoom[room] = nil }
        roomsBySid[sid]?.remove(room)
        if roomsBySid[sid]?.isEmpty == true { roomsBySid[sid] = nil }
    }

    /// Takes socket `sid` out of every room.
    public mutating func leaveAll(_ sid: String) {
        for room in roomsBySid[sid] ?? [] { leave(sid, room: room) }
    }

    /// The sockets in `room`.
    public func sids(inRoom room: String) -> Set<String> { sidsByRoom[room] ?? [] }

    /// The rooms socket `sid` is in.
    public func rooms(of sid: String) -> Set<String> { roomsBySid[sid] ?? [] }

    /// The sockets of `user`.
    public func sids(ofUser user: String) -> Set<String> { sidsByUser[user] ?? [] }

    /// The user socket `sid` belongs to, if any.
    public func user(of sid: String) -> String? { userBySid[sid] }

    /// The sockets `audience` names: the union of its rooms, sids and users (or everyone),
    /// minus the excluded sids and members of the excluded rooms. Unknown sids are left out.
    public func resolve(_ audience: Audience) -> Set<String> {
        var candidates: Set<String>
        if audience.everyone {
            candidates = members
        } else if audience.sids.isEmpty, audience.users.isEmpty, audience.rooms.count == 1,
                  let room = audience.rooms.first
        {
            // One room, the common broadcast: its set as it is, not rehashed into a new one.
            candidates = sids(inRoom: room)
        } else {
            candidates = audience.sids.intersection(members)
            for room in audience.rooms { candidates.formUnion(sids(inRoom: room)) }
            for user in audience.users { candidates.formUnion(sids(ofUser: user)) }
        }
        guard !audience.exceptRooms.isEmpty || !audience.exceptSids.isEmpty else { return candidates }
        if audience.exceptRooms.isEmpty {
            // Only sockets left out (`exceptSelf`): removed one by one, the rest not rehashed.
            for sid in audience.exceptSids { candidates.remove(sid) }
            return candidates
        }
        return candidates.filter { sid in
            !audience.exceptSids.contains(sid) && rooms(of: sid).isDisjoint(with: audience.exceptRooms)
        }
    }
}
