import SocketIO

/// The connections a broadcast reaches, resolved once and kept while the namespace's membership
/// stays as it is: a room's emit then walks an array of connections, with no lookup of a socket
/// id per frame.
extension EdgeLoop {
    /// The connections a broadcast to `audience` in `namespace` reaches, and those of the sockets
    /// it leaves out (`exceptSids`, a socket per connection in one namespace); `nil` for an
    /// audience this does not keep: other than everyone or one room, or leaving rooms out.
    func broadcastTargets(_ audience: Audience, namespace: String, index: RoomIndex)
        -> (drivers: [ConnectionDriver], excluded: [ConnectionDriver])?
    {
        guard audience.exceptRooms.isEmpty else { return nil }
        let room: String?
        if audience.everyone {
            room = nil
        } else if audience.sids.isEmpty, audience.users.isEmpty, audience.rooms.count == 1 {
            room = audience.rooms.first
        } else {
            return nil
        }
        let excluded = audience.exceptSids.compactMap { sid in
            sockets[sid].flatMap { $0.namespace == namespace ? $0.driver : nil }
        }
        if let drivers = audiences[namespace]?[room] { return (drivers, excluded) }
        let sids = room.map { index.sids(inRoom: $0) } ?? index.members
        let drivers = sids.compactMap { sockets[$0]?.driver }
        // Not kept when empty: every edge carries out every room's emits, most rooms are elsewhere.
        if !drivers.isEmpty { audiences[namespace, default: [:]][room] = drivers }
        return (drivers, excluded)
    }

    /// A socket of `namespace` joined or left `room` (the room's connections are resolved again
    /// at its next broadcast), or came or went when `room` is `nil` (all of the namespace's are).
    func membershipChanged(in namespace: String, room: String? = nil) {
        if let room {
            audiences[namespace]?[room] = nil
        } else {
            audiences[namespace] = nil
        }
    }
}
