import Contracts

/// Life facts, snapshots and vanished edges: how the edges' truth enters the state. Each
/// method returns the instructions to publish as one `emit` on topic `edge` (empty when
/// nothing that presence reports changed).
extension PresenceState {
    /// Decodes the life fact object `fact` of kind `kind` published by `edge`, then applies it.
    public mutating func apply(kind: LifeFactKind, fact: JSON, edge: String) throws(LifeFact.Malformed)
        -> [Instruction]
    {
        apply(try LifeFact(kind: kind, fact: fact, edge: edge), edge: edge)
    }

    /// Applies `fact` published by `edge`. Facts are idempotent: a repeated `joined` or `left`,
    /// or a `disconnected` of an unknown socket, changes nothing and emits nothing.
    public mutating func apply(_ fact: LifeFact, edge: String) -> [Instruction] {
        switch fact {
        case .connected(let sid, let ns, let user):
            return connected(SocketKey(edge: edge, sid: sid), ns: ns, user: user)
        case .disconnected(let sid, _):
            return disconnected(SocketKey(edge: edge, sid: sid))
        case .joined(let sid, let ns, let room, let user):
            return joined(SocketKey(edge: edge, sid: sid), ns: ns, room: room, user: user)
        case .left(let sid, _, let room):
            return left(SocketKey(edge: edge, sid: sid), room: room)
        case .snapshot(let snapshot):
            return applySnapshot(snapshot)
        }
    }

    /// Replaces everything presence knows about `snapshot.edge` by the snapshot and returns
    /// the instructions for what changed compared with before. Use it when a live edge's
    /// snapshot arrives (an edge that came back after ``edgeGone(_:)``: its users come back
    /// with Add and `presence:update`). Rooms restored from a snapshot have no known join
    /// order: they get sequence numbers in the snapshot's order.
    public mutating func applySnapshot(_ snapshot: Snapshot) -> [Instruction] {
        let stale = socketsByEdge[snapshot.edge] ?? []
        return tracking { state in
            for key in stale { state.put(key, nil) }
            for socket in snapshot.sockets {
                var record = SocketRecord(ns: socket.ns, identity: socket.user?.id)
                for room in socket.rooms { record.rooms[room] = state.nextSequence() }
                state.put(SocketKey(edge: snapshot.edge, sid: socket.sid), record)
            }
        }
    }

    /// Rebuilds the whole state from the snapshots of every live edge, silently: whatever was
    /// known before is forgotten and nothing is emitted, so users who never left see no
    /// Remove/Add pair and no `presence:update`. Changes observed afterwards emit as usual.
    public mutating func rebuild(from snapshots: [Snapshot]) {
        removeAll()
        for snapshot in snapshots {
            _ = applySnapshot(snapshot)
        }
    }

    /// Drops every socket of `edge` (it stopped saying hello for three intervals) and returns
    /// the instructions for the users and server rooms that changed: `newOnlineUser` Remove for
    /// users announced only there, `presence:update` for server rooms that lost members.
    /// A second call for the same edge finds nothing and returns nothing.
    public mutating func edgeGone(_ edge: String) -> [Instruction] {
        let gone = socketsByEdge[edge] ?? []
        return tracking { state in
            for key in gone { state.put(key, nil) }
        }
    }

    /// A socket connected, or (when `joined` came first) its record gains its identity.
    private mutating func connected(_ key: SocketKey, ns: String, user: Identity?) -> [Instruction] {
        var record = sockets[key] ?? SocketRecord(ns: ns)
        record.ns = ns
        record.identity = user?.id
        guard record != sockets[key] else { return [] }
        return tracking { $0.put(key, record) }
    }

    /// A socket left its namespace: it leaves every room and its user may go offline.
    private mutating func disconnected(_ key: SocketKey) -> [Instruction] {
        guard sockets[key] != nil else { return [] }
        return tracking { $0.put(key, nil) }
    }

    /// A socket joined `room`. A socket presence did not know yet (its `connected` fact is
    /// late or was missed) is created from the fact. A joiner whose arrival does not change a
    /// server room's online members gets the room's current `presence:update` alone, so that
    /// a second tab learns who is online without anybody else hearing it again.
    private mutating func joined(_ key: SocketKey, ns: String, room: String, user: Identity?) -> [Instruction] {
        var record = sockets[key] ?? SocketRecord(ns: ns, identity: user?.id)
        guard record.rooms[room] == nil else { return [] }
        record.rooms[room] = nextSequence()
        let instructions = tracking { $0.put(key, record) }
        guard PresenceRooms.serverID(room) != nil, instructions.isEmpty else { return instructions }
        return [presenceUpdate(RoomKey(ns: record.ns, room: room), to: Audience(sids: [key.sid]))]
    }

    /// A socket left `room`.
    private mutating func left(_ key: SocketKey, room: String) -> [Instruction] {
        guard var record = sockets[key], record.rooms[room] != nil else { return [] }
        record.rooms[room] = nil
        return tracking { $0.put(key, record) }
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
