import Contracts

/// What the bus brings to the mirror: facts, snapshots, hellos and gone edges.
extension EdgeMirror {
    /// A `life` message at `now` (milliseconds).
    public mutating func receive(_ record: LifeRecord, now: Int64) -> Step {
        if case .snapshot(let sockets) = record.fact { return snapshot(sockets, of: record.edge, at: record.stamp, now: now) }
        // Only the phase and the stamp are read, borrowed (`values[index]`): a copy of the part
        // would share its sockets, and `apply` would then copy them all to change one.
        guard let index = parts.index(forKey: record.edge) else {
            // First heard of in the middle of its stream: what came before is unknown.
            guard record.stamp.seq == 1 else { return rebuild(record.edge, holding: record, now: now) }
            parts[record.edge] = Part(phase: .live, stamp: record.stamp)
            let changes = apply(record)
            return step(changes)
        }
        let (phase, stamp) = (parts.values[index].phase, parts.values[index].stamp)
        switch phase {
        case .live:
            if record.stamp.epoch < stamp.epoch { return Step() }
            if record.stamp.epoch == stamp.epoch, record.stamp.seq <= stamp.seq { return Step() }
            guard record.stamp.epoch == stamp.epoch, record.stamp.seq == stamp.seq + 1 else {
                return rebuild(record.edge, holding: record, now: now)
            }
            // Applied first: `step(apply(record))` would take a copy of the mirror (for `step`)
            // before `apply` changes it, and the change would then copy every socket.
            let changes = apply(record)
            return step(changes)
        case .rebuilding(let asked, var held):
            guard record.stamp.epoch >= stamp.epoch else { return Step() }
            held.append(record)
            if held.count > configuration.maxHeld { held.removeFirst(held.count - configuration.maxHeld) }
            parts[record.edge]?.phase = .rebuilding(asked: asked, held: held)
            return Step()
        case .gone:
            return rebuild(record.edge, holding: record, now: now)
        }
    }

    /// A ready hello of edge `edge` at `now`, saying the last fact it published (`stream`; `nil`
    /// from an edge that does not number its facts, which the mirror then leaves alone).
    public mutating func heard(_ edge: String, stream: LifeStamp?, now: Int64) -> Step {
        guard let stream else { return Step() }
        guard let part = parts[edge] else {
            guard stream.seq == 0 else { return rebuild(edge, holding: nil, now: now) }
            parts[edge] = Part(phase: .live, stamp: stream)
            return Step()
        }
        switch part.phase {
        case .live:
            guard stream > part.stamp else { return Step() }
            return rebuild(edge, holding: nil, now: now)
        case .rebuilding(let asked, let held):
            guard now - asked >= configuration.requestIntervalMilliseconds else { return Step() }
            parts[edge]?.phase = .rebuilding(asked: now, held: held)
            return Step(requests: [edge])
        case .gone:
            return rebuild(edge, holding: nil, now: now)
        }
    }

    /// Edge `edge` missed three hellos: its sockets are gone. It is rebuilt when it speaks again.
    public mutating func gone(_ edge: String) -> Step {
        guard var part = parts[edge], part.phase != .gone else { return Step() }
        let changes = Self.difference(edge: edge, from: part.sockets, to: [:])
        part.sockets = [:]
        part.phase = .gone
        parts[edge] = part
        return step(changes, cause: .gone)
    }

    /// Starts (or goes on with) the rebuild of `edge`, holding `fact`; asks for a snapshot unless
    /// one was asked for less than a request interval ago.
    mutating func rebuild(_ edge: String, holding fact: LifeRecord?, now: Int64) -> Step {
        var part = parts[edge] ?? Part(phase: .gone)
        var held: [LifeRecord] = []
        var asked = now
        if case .rebuilding(let earlier, let already) = part.phase,
           now - earlier < configuration.requestIntervalMilliseconds
        {
            (held, asked) = (already, earlier)
        } else if case .rebuilding(_, let already) = part.phase {
            held = already
        }
        if let fact { held.append(fact) }
        part.phase = .rebuilding(asked: asked, held: held)
        parts[edge] = part
        return Step(requests: asked == now ? [edge] : [])
    }

    /// A snapshot of `edge` holding every fact up to `stamp`. Used when the edge is being
    /// rebuilt and its held facts continue it without a gap (else asked for again); otherwise
    /// ignored (the mirror is up to date, or the edge is gone).
    mutating func snapshot(_ sockets: [LifeSocket], of edge: String, at stamp: LifeStamp, now: Int64) -> Step {
        guard var part = parts[edge], case .rebuilding(let asked, let held) = part.phase else { return Step() }
        let later = held.filter { $0.stamp.epoch > stamp.epoch || ($0.stamp.epoch == stamp.epoch && $0.stamp.seq > stamp.seq) }
            .sorted { $0.stamp < $1.stamp }
        var next = stamp
        var following: [LifeRecord] = []
        for record in later where record.stamp != following.last?.stamp {
            guard record.stamp.epoch == next.epoch, record.stamp.seq == next.seq + 1 else {
                // A gap after the snapshot (or a later run): this one cannot be used.
                let ask = now - asked >= configuration.requestIntervalMilliseconds
                if ask { part.phase = .rebuilding(asked: now, held: later) }
                parts[edge] = part
                return Step(requests: ask ? [edge] : [])
            }
            following.append(record)
            next = record.stamp
        }
        var rebuilt = Dictionary(uniqueKeysWithValues: sockets.map { ($0.sid, $0) })
        for record in following { _ = Self.changes(of: record.fact, edge: edge, in: &rebuilt) }
        let changes = Self.difference(edge: edge, from: part.sockets, to: rebuilt)
        part.sockets = rebuilt
        part.stamp = next
        part.phase = .live
        parts[edge] = part
        return step(changes, cause: .rebuild, parts: [edge: Set(rebuilt.keys)])
    }

    /// Applies a live fact to its edge's part, in place, and moves the part's stamp to it.
    mutating func apply(_ record: LifeRecord) -> [SocketChange] {
        guard parts[record.edge] != nil else { return [] }
        // Changed where it is: a local copy of the part would share its sockets, and changing
        // them would copy them all (O(sockets) per fact).
        let changes = Self.changes(of: record.fact, edge: record.edge,
                                   in: &parts[record.edge, default: Part(phase: .live)].sockets)
        parts[record.edge, default: Part(phase: .live)].stamp = record.stamp
        return changes
    }

    /// Applies `fact` of `edge` to `sockets` and returns what changed. Facts are idempotent: a
    /// repeated `joined` or `left`, or the `disconnected` of an unknown socket, changes nothing;
    /// a `joined` of an unknown socket makes it.
    public static func changes(of fact: LifeFact, edge: String, in sockets: inout [String: LifeSocket]) -> [SocketChange] {
        switch fact {
        case .connected(let fact):
            let old = sockets[fact.sid]
            var socket = old ?? LifeSocket(sid: fact.sid, ns: fact.ns)
            socket.ns = fact.ns
            socket.user = fact.user
            guard socket != old else { return [] }
            sockets[fact.sid] = socket
            return difference(edge: edge, from: old.map { [fact.sid: $0] } ?? [:], to: [fact.sid: socket])
        case .disconnected(let fact):
            guard let socket = sockets.removeValue(forKey: fact.sid) else { return [] }
            return [.disconnected(SocketRef(edge: edge, sid: fact.sid), socket)]
        case .joined(let fact):
            let ref = SocketRef(edge: edge, sid: fact.sid)
            var changes: [SocketChange] = []
            var socket = sockets[fact.sid] ?? {
                let made = LifeSocket(sid: fact.sid, ns: fact.ns, user: fact.user)
                changes.append(.connected(ref, made))
                return made
            }()
            guard !socket.rooms.contains(fact.room) else { return changes }
            socket.rooms = (socket.rooms + [fact.room]).sorted()
            sockets[fact.sid] = socket
            return changes + [.joined(ref, socket, room: fact.room)]
        case .left(let fact):
            guard var socket = sockets[fact.sid], let index = socket.rooms.firstIndex(of: fact.room) else { return [] }
            socket.rooms.remove(at: index)
            sockets[fact.sid] = socket
            return [.left(SocketRef(edge: edge, sid: fact.sid), socket, room: fact.room)]
        case .snapshot:
            return []
        }
    }
}
