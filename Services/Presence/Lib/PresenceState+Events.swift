import Contracts

/// Client events: HomeAssistant's `addOnlineUser`, `joinRoom`, `leaveRoom` and audio rooms'
/// `user:getRoom`, plus the bus queries, dispatched by ``handle(_:)``.
extension PresenceState {
    /// Answers `event` by its name (``PresenceEvent``); `nil` for a name presence does not
    /// handle (the runtime then answers `UNKNOWN_EVENT`). The reply body is
    /// ``EventOutcome/reply(to:)``.
    public mutating func handle(_ event: ClientEvent) -> EventOutcome? {
        switch PresenceEvent(rawValue: event.name) {
        case .addOnlineUser: addOnlineUser(event)
        case .joinRoom: joinRoom(event)
        case .leaveRoom: leaveRoom(event)
        case .getRoom: getRoom(event)
        case .isOnline: EventOutcome(ack: [answerIsOnline(event.args.first)])
        case .online: EventOutcome(ack: [answerOnline(event.args.first)])
        case nil: nil
        }
    }

    /// `addOnlineUser {userID, userUsername}`: the socket announces `userID` (a string, or an
    /// integer taken as its decimal text; `userUsername` is not needed and not checked).
    ///
    /// The socket joins the marker room `presence:online:{userID}` (leaving the marker of any
    /// user it announced before). When that puts the user in the namespace's online set,
    /// every socket of the namespace, the sender included, gets `newOnlineUser {type: "Add",
    /// userID}`; a user already announced by another socket (a second tab) is not announced
    /// again. A socket presence has not heard of yet only gets the join: its `joined` fact
    /// brings the Add. Refused with an `error` emit (nothing changes) when the payload has no
    /// user id, or when the sender may not announce that id (``authorize(_:for:)``).
    public mutating func addOnlineUser(_ event: ClientEvent) -> EventOutcome {
        guard let user = PresenceID.text(event.args.first?["userID"]) else {
            return refuse(event, code: RefusalEmit.invalidPayload, message: "addOnlineUser needs {userID}")
        }
        if let refusal = authorize(user, for: event) { return refusal }
        let marker = PresenceRooms.announced(user)
        let stale = (sockets[event.socket].map { Array($0.rooms.keys) } ?? [])
            .filter { PresenceRooms.announcedUser($0) != nil && $0 != marker }.sorted()
        var instructions: [Instruction] = []
        if !stale.isEmpty { instructions.append(.leave(Membership(ns: event.ns, rooms: stale, sids: [event.sid]))) }
        instructions.append(.join(Membership(ns: event.ns, rooms: [marker], sids: [event.sid])))
        instructions += announce(user, for: event.socket)
        return EventOutcome(instructions: instructions)
    }

    /// `joinRoom "id"`: the socket joins HomeAssistant's personal room `user:{id}`. The id is
    /// a string or an integer; anything else, or an id the sender may not use, is refused.
    public func joinRoom(_ event: ClientEvent) -> EventOutcome {
        personalRoom(event) { .join($0) }
    }

    /// `leaveRoom "id"`: the socket leaves `user:{id}`, under the same rules as ``joinRoom(_:)``.
    public func leaveRoom(_ event: ClientEvent) -> EventOutcome {
        personalRoom(event) { .leave($0) }
    }

    /// `user:getRoom {userId}` (audio rooms): acknowledged with `{roomId}`, the room the user
    /// is in within the event's namespace (``currentRoom(of:in:)``), or `{roomId: null}`.
    /// `userId` must be a JSON integer (the contract's `number`); anything else is acknowledged
    /// with `{roomId: null, error: "INVALID_PAYLOAD"}`. Anyone may ask about anyone (the
    /// contract's "Track" feature), and asking changes nothing.
    public func getRoom(_ event: ClientEvent) -> EventOutcome {
        guard let member = event.args.first?["userId"], member.stringValue == nil, let id = member.intValue else {
            return EventOutcome(ack: [["roomId": nil, "error": "INVALID_PAYLOAD"]])
        }
        let room = currentRoom(of: String(id), in: event.ns)
        return EventOutcome(ack: [["roomId": room.map(JSON.string) ?? .null]])
    }

    /// Whether the sender may name `user`: an authenticated socket only its own id; an
    /// anonymous socket any id when the namespace does not require authentication (the
    /// payload is trusted, as the contract does), none when it does. Returns the refusal, or
    /// `nil` when allowed.
    func authorize(_ user: String, for event: ClientEvent) -> EventOutcome? {
        if let identity = event.user {
            guard identity.id != user else { return nil }
            return refuse(event, code: RefusalEmit.forbidden, message: "You may only use your own user id")
        }
        guard event.namespaceRequiresAuth else { return nil }
        return refuse(event, code: RefusalEmit.forbidden, message: "Authentication required")
    }

    /// `joinRoom` and `leaveRoom`: validate the id, authorize it, and build the membership change.
    private func personalRoom(_ event: ClientEvent, _ change: (Membership) -> Instruction) -> EventOutcome {
        guard let user = PresenceID.text(event.args.first) else {
            return refuse(event, code: RefusalEmit.invalidPayload, message: "\(event.name) needs a user id")
        }
        if let refusal = authorize(user, for: event) { return refusal }
        let membership = Membership(ns: event.ns, rooms: [PresenceRooms.personal(user)], sids: [event.sid])
        return EventOutcome(instructions: [change(membership)])
    }

    /// An outcome holding only the `error` emit to the sender, acknowledged
    /// `{success: false, error: code}` when the client asked for an acknowledgement (a request
    /// that succeeds leaves its ack to the runtime: `{success: true}`).
    private func refuse(_ event: ClientEvent, code: String, message: String) -> EventOutcome {
        EventOutcome(instructions: [RefusalEmit.make(event, code: code, message: message)],
                     ack: [["success": false, "error": .string(code)]])
    }
}
