import Contracts
import ServiceKit

/// How the edges' sockets enter the state: the changes ServiceKit's mirror of the edges hands
/// on (``SocketUpdate``), each update applied as one unit, so that a rebuilt edge reports only
/// what really changed.
extension PresenceState {
    /// Applies `update` and returns the instructions to publish as one `emit` on topic `edge`:
    /// `newOnlineUser` Add/Remove for users whose marker room became occupied or empty,
    /// `presence:update` for server rooms whose users changed. The initial state is applied
    /// silently (users who never left see no Remove/Add pair after a restart). A socket that
    /// joined a server room without changing its online users gets the room's current
    /// `presence:update` alone, so that a second tab learns who is online without anybody else
    /// hearing it again.
    public mutating func apply(_ update: SocketUpdate) -> [Instruction] {
        let instructions = tracking { state in
            for change in update.changes { state.apply(change) }
        }
        guard !update.isInitial else { return [] }
        guard instructions.isEmpty else { return instructions }
        return update.changes.compactMap { change in
            guard case .joined(let ref, let socket, let room) = change, PresenceRooms.serverID(room) != nil,
                  sockets[SocketKey(edge: ref.edge, sid: ref.sid)]?.rooms[room] != nil
            else { return nil }
            return presenceUpdate(RoomKey(ns: socket.ns, room: room), to: Audience(sids: [ref.sid]))
        }
    }

    /// Applies one change. Changes are idempotent: a repeated `joined` or `left`, or a
    /// `disconnected` of an unknown socket, changes nothing; a `joined` of a socket presence did
    /// not know yet makes it.
    private mutating func apply(_ change: SocketChange) {
        let key = SocketKey(edge: change.ref.edge, sid: change.ref.sid)
        switch change {
        case .connected(_, let socket):
            var record = sockets[key] ?? SocketRecord(ns: socket.ns)
            record.ns = socket.ns
            record.identity = socket.user?.id
            if record != sockets[key] { put(key, record) }
        case .disconnected:
            if sockets[key] != nil { put(key, nil) }
        case .joined(_, let socket, let room):
            var record = sockets[key] ?? SocketRecord(ns: socket.ns, identity: socket.user?.id)
            guard record.rooms[room] == nil else { return }
            record.rooms[room] = nextSequence()
            put(key, record)
        case .left(_, _, let room):
            guard var record = sockets[key], record.rooms[room] != nil else { return }
            record.rooms[room] = nil
            put(key, record)
        }
    }

    /// Announces `user` for socket `key` at once (the `joined` fact of its marker room will
    /// then find nothing to do): the socket leaves every other marker room and joins
    /// `presence:online:{user}`. Returns the Add/Remove and `presence:update` instructions.
    mutating func announce(_ user: String, for key: SocketKey) -> [Instruction] {
        guard var record = sockets[key] else { return [] }
        let marker = PresenceRooms.announced(user)
        for room in record.rooms.keys where PresenceRooms.announcedUser(room) != nil && room != marker {
            record.rooms[room] = nil
        }
        if record.rooms[marker] == nil { record.rooms[marker] = nextSequence() }
        guard record != sockets[key] else { return [] }
        return tracking { $0.put(key, record) }
    }
}
