import Contracts

/// Turning state changes into instructions: every mutation runs inside ``tracking(_:)``, which
/// reads from the ``journal`` which reported rooms really changed, and reports only those.
extension PresenceState {
    /// Net changes of the reported rooms during one tracked mutation. A socket that leaves and
    /// comes back within the same mutation (a snapshot replacing its edge's sockets) nets to
    /// zero and reports nothing.
    struct Journal: Sendable {
        /// Per room: +1 for each time it became occupied, -1 for each time it became empty.
        var occupied: [RoomKey: Int] = [:]
        /// Per room and user: +1 for each time the user's first socket entered, -1 for each
        /// time its last socket left.
        var users: [RoomKey: [String: Int]] = [:]
    }

    /// `true` for the rooms presence reports on: HomeAssistant marker rooms and Zizany server rooms.
    static func isReported(_ room: String) -> Bool {
        PresenceRooms.announcedUser(room) != nil || PresenceRooms.serverID(room) != nil
    }

    /// Runs `body` and returns the instructions for every reported room that changed, in room
    /// order: `newOnlineUser` Add (Remove) when a marker room became occupied (empty), and
    /// `presence:update` when a server room gained or lost a user and still has sockets to
    /// tell. Nothing when nothing changed.
    mutating func tracking(_ body: (inout PresenceState) -> Void) -> [Instruction] {
        journal = Journal()
        body(&self)
        let changes = journal
        journal = Journal()
        var instructions: [Instruction] = []
        for room in Set(changes.occupied.keys).union(changes.users.keys).sorted() {
            if let user = PresenceRooms.announcedUser(room.room) {
                guard let net = changes.occupied[room], net != 0 else { continue }
                instructions.append(Self.onlineUserEmit(ns: room.ns, user: user, online: net > 0))
            } else if changes.users[room]?.values.contains(where: { $0 != 0 }) == true, membersByRoom[room] != nil {
                instructions.append(presenceUpdate(room, to: Audience(rooms: [room.room])))
            }
        }
        return instructions
    }

    /// HomeAssistant's `newOnlineUser {type: "Add"|"Remove", userID}` to every socket of `ns`.
    static func onlineUserEmit(ns: String, user: String, online: Bool) -> Instruction {
        let payload: JSON = ["type": .string(online ? "Add" : "Remove"), "userID": .string(user)]
        return .emit(Emit(ns: ns, event: "newOnlineUser", args: [payload], to: Audience(all: true)))
    }

    /// Zizany's `presence:update {serverId, onlineUserIds}` for server room `room` as it is
    /// now, to `audience`.
    func presenceUpdate(_ room: RoomKey, to audience: Audience) -> Instruction {
        let serverID = PresenceRooms.serverID(room.room) ?? room.room
        let users = onlineMembers(of: room).map(PresenceID.json)
        let payload: JSON = ["serverId": PresenceID.json(serverID), "onlineUserIds": .array(users)]
        return .emit(Emit(ns: room.ns, event: "presence:update", args: [payload], to: audience))
    }
}
