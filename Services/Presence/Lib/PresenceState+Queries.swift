import Contracts

/// The read side: who is online, where, and the answers to the bus queries other services
/// send (`isOnline`, `online`).
extension PresenceState {
    /// The number of known sockets.
    public var socketCount: Int { sockets.count }

    /// Every online user (at least one connected socket), sorted ascending.
    public var onlineUsers: [String] {
        socketsByUser.keys.sorted(by: PresenceID.ascending)
    }

    /// `true` while `user` has at least one connected socket.
    public func isOnline(_ user: String) -> Bool {
        socketsByUser[user] != nil
    }

    /// The connected sockets of `user`, sorted.
    public func sockets(of user: String) -> [SocketKey] {
        (socketsByUser[user] ?? []).sorted()
    }

    /// HomeAssistant's online set of namespace `ns`: users announced by at least one socket
    /// there, sorted ascending.
    public func announcedUsers(in ns: String) -> [String] {
        membersByRoom.keys.filter { $0.ns == ns }.compactMap { PresenceRooms.announcedUser($0.room) }
            .sorted(by: PresenceID.ascending)
    }

    /// The distinct users of the sockets in server room `server:{serverID}` of `ns`, sorted
    /// ascending (anonymous sockets count for nobody).
    public func serverOnline(_ serverID: String, in ns: String) -> [String] {
        onlineMembers(of: RoomKey(ns: ns, room: PresenceRooms.serverPrefix + serverID))
    }

    /// The distinct users of the sockets in `room`, sorted ascending.
    func onlineMembers(of room: RoomKey) -> [String] {
        (usersInRoom[room]?.keys).map { $0.sorted(by: PresenceID.ascending) } ?? []
    }

    /// The room `user` is in within `ns`: of all rooms of the user's sockets in `ns` whose
    /// names have none of ``systemRoomPrefixes``, the one joined most recently; `nil` when
    /// there is none. Leaving that room (or closing that socket) falls back to the next most
    /// recent room still joined.
    public func currentRoom(of user: String, in ns: String) -> String? {
        var best: (room: String, sequence: UInt64)?
        for key in socketsByUser[user] ?? [] {
            guard let record = sockets[key], record.ns == ns else { continue }
            for (room, sequence) in record.rooms where !isSystemRoom(room) {
                if best.map({ sequence > $0.sequence }) ?? true { best = (room, sequence) }
            }
        }
        return best?.room
    }

    /// `true` when `room` has one of ``systemRoomPrefixes``.
    func isSystemRoom(_ room: String) -> Bool {
        systemRoomPrefixes.contains { room.hasPrefix($0) }
    }

    /// The answer to `isOnline {userId}` (a string or an integer id): `{online: Bool}`, or
    /// `{error: "INVALID_PAYLOAD"}` when the request has no usable `userId`.
    public func answerIsOnline(_ request: JSON?) -> JSON {
        guard let user = PresenceID.text(request?["userId"]) else { return ["error": "INVALID_PAYLOAD"] }
        return ["online": .bool(isOnline(user))]
    }

    /// The answer to `online {userIds: [...]}`: `{online: [...]}`, the requested ids that are
    /// online, in request order, each once, written as they were asked (string or number).
    /// `{error: "INVALID_PAYLOAD"}` when `userIds` is missing, not an array, or holds anything
    /// but strings and integers.
    public func answerOnline(_ request: JSON?) -> JSON {
        guard let asked = request?["userIds"]?.arrayValue else { return ["error": "INVALID_PAYLOAD"] }
        var seen: Set<String> = []
        var online: [JSON] = []
        for value in asked {
            guard let user = PresenceID.text(value) else { return ["error": "INVALID_PAYLOAD"] }
            if seen.insert(user).inserted, isOnline(user) { online.append(value) }
        }
        return ["online": .array(online)]
    }
}
