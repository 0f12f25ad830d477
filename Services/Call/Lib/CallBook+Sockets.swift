import Contracts

extension CallBook {
    /// The answer to the edge's `connect` event: the identity's role must match the namespace
    /// (`USER` on `/user`, `TELECALLER` on `/telecaller`, else "Access denied"), the account must
    /// exist (else "Invalid or expired token": the token names an account that is gone) and be
    /// ACTIVE (else "Account suspended. Please contact support."). Other namespaces: "Access denied".
    public func decideConnection(identity: Identity, namespace: String) -> ConnectionDecision {
        let status: AccountStatus?
        switch (namespace, identity.role) {
        case (Self.userNamespace, "USER"): status = users[identity.id]?.status
        case (Self.telecallerNamespace, "TELECALLER"): status = telecallers[identity.id]?.status
        default: return .reject("Access denied")
        }
        switch status {
        case nil: return .reject("Invalid or expired token")
        case .blocked: return .reject("Account suspended. Please contact support.")
        case .active: return .accept
        }
    }

    /// What users see of telecaller `id`: OFFLINE without a socket; ON_CALL with a RINGING or
    /// ACCEPTED call; OFFLINE when set unavailable; ONLINE otherwise.
    public func presence(of id: String) -> Presence {
        guard isConnected(id, on: Self.telecallerNamespace) else { return .offline }
        if liveCall(ofTelecaller: id) != nil { return .onCall }
        return unavailable.contains(id) ? .offline : .online
    }

    /// Whether account `id` has at least one socket on `ns`.
    func isConnected(_ id: String, on ns: String) -> Bool {
        !(sockets[ns]?[id]?.isEmpty ?? true)
    }

    /// `telecaller:presence-changed {telecallerId, presence, telecaller}` to every `/user`
    /// socket when telecaller `id`'s presence differs from the one last announced; `telecaller`
    /// is the full object for ONLINE and `null` otherwise. Unapproved telecallers are never
    /// announced.
    mutating func presenceChanges(of id: String) -> [Instruction] {
        guard let telecaller = telecallers[id], telecaller.approved else { return [] }
        let now = presence(of: id)
        guard now != announced[id, default: .offline] else { return [] }
        setAnnounced(now == .offline ? nil : now, of: id)
        let payload: JSON = ["telecallerId": .string(id), "presence": .string(now.rawValue),
                             "telecaller": now == .online ? telecaller.presenceJSON : .null]
        return [.emit(Emit(ns: Self.userNamespace, event: "telecaller:presence-changed", args: [payload],
                           to: Audience(all: true)))]
    }

    /// Life fact `connected`: records the socket; a telecaller's first socket makes them ONLINE.
    mutating func connect(_ socket: CallSocket) -> CallOutcome {
        setSocket(socket.sid, of: socket.identity.id, on: socket.ns, connected: true)
        guard socket.ns == Self.telecallerNamespace else { return CallOutcome() }
        return CallOutcome(instructions: presenceChanges(of: socket.identity.id))
    }

    /// Life fact `disconnected`. Only the socket that owns a call (the initiating one on the
    /// user's side, the accepting one on the telecaller's) ends it: RINGING → MISSED
    /// (`call:missed` to both), ACCEPTED → COMPLETED (`call:ended` to the other side, room
    /// deleted). A RINGING call has no telecaller socket yet: it is MISSED when the telecaller's
    /// last socket goes. The last socket also clears "set unavailable" (stored) and makes them
    /// OFFLINE.
    mutating func disconnect(_ socket: CallSocket, now: Int64) -> CallOutcome {
        let id = socket.identity.id
        setSocket(socket.sid, of: id, on: socket.ns, connected: false)
        let byUser = socket.ns == Self.userNamespace
        let gone = !byUser && !isConnected(id, on: socket.ns)
        var outcome = CallOutcome(effects: gone ? setUnavailable(id, false) : [])
        // A party has at most one live call.
        let live = byUser ? liveCall(ofUser: id) : liveCall(ofTelecaller: id)
        let affected = [live].compactMap { $0 }.filter { call in
            switch (byUser, call.status) {
            case (true, .ringing), (true, .accepted): call.userId == id && call.userSid == socket.sid
            case (false, .ringing): call.telecallerId == id && gone
            case (false, .accepted): call.telecallerId == id && call.telecallerSid == socket.sid
            default: false
            }
        }
        for call in affected { outcome.append(abandon(call, byUser: byUser, now: now)) }
        if !byUser { outcome.instructions += presenceChanges(of: id) }
        return outcome
    }

    /// After a restart, once the edges' snapshot has been replayed as `.connected` events:
    /// settles overdue deadlines, then treats every live call whose owning socket is not
    /// connected as if that socket had just disconnected (a RINGING call whose telecaller has
    /// no socket at all is MISSED), and clears "set unavailable" of every telecaller with no
    /// socket (their last socket went while the service was away).
    public mutating func reconcile(now: Int64) -> CallOutcome {
        var outcome = expire(now: now)
        for id in unavailable.sorted() where !isConnected(id, on: Self.telecallerNamespace) {
            outcome.effects += setUnavailable(id, false)
        }
        for call in calls.values.filter(\.status.isLive).sorted(by: { $0.id < $1.id }) {
            let userHere = sockets[Self.userNamespace]?[call.userId]?.contains(call.userSid) == true
            let telecallerHere = call.status == .ringing
                ? isConnected(call.telecallerId, on: Self.telecallerNamespace)
                : sockets[Self.telecallerNamespace]?[call.telecallerId]?.contains(call.telecallerSid ?? "") == true
            if !userHere {
                outcome.append(abandon(call, byUser: true, now: now))
            } else if !telecallerHere {
                outcome.append(abandon(call, byUser: false, now: now))
            }
        }
        return outcome
    }

    /// `telecaller:set-availability {available: Bool}` from a telecaller socket. `false` makes
    /// them OFFLINE for users (callers get "{name} is currently offline…") until they send
    /// `true` or their last socket disconnects. The flag is stored, so a restart keeps it.
    mutating func setAvailability(_ socket: CallSocket, _ payload: JSON?) -> CallOutcome {
        guard let available = payload?["available"]?.boolValue else { return refuse(socket, .invalidRequest) }
        let id = socket.identity.id
        let effects = setUnavailable(id, !available)
        return CallOutcome(instructions: presenceChanges(of: id), effects: effects)
    }
}
