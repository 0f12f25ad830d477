import Contracts

/// Which parties of a call an event goes to.
enum Parties {
    /// Every socket of the user on `/user`.
    case user
    /// Every socket of the telecaller on `/telecaller`.
    case telecaller
    /// Both of the above.
    case both
}

extension CallBook {
    /// Moves call `id` to the final `status` at `time`, bills it when it is COMPLETED, tells
    /// `notify` with `event` `{callId}`, and announces the telecaller's new presence.
    /// Effects: `store`, then for COMPLETED `debit` (when coins > 0) and `deleteRoom`.
    mutating func finish(_ id: String, as status: CallStatus, reason: CallEndReason, at time: Int64,
                         notify: Parties, event: String) -> CallOutcome
    {
        guard var call = calls[id] else { preconditionFailure("finish of unknown call \(id)") }
        precondition(call.status.canMove(to: status), "\(call.status) cannot become \(status)")
        call.status = status
        call.endedAt = time
        call.endReason = reason
        var debit: [CallEffect] = []
        if status == .completed, let acceptedAt = call.acceptedAt {
            let seconds = max(0, time - acceptedAt) / 1000
            let due = Call.cost(seconds: seconds, ratePerMinute: call.ratePerMinute)
            let charged = min(due, max(0, users[call.userId]?.coinBalance ?? 0))
            lowerBalance(of: call.userId, by: charged)
            call.durationSeconds = seconds
            call.coins = charged
            if charged > 0 { debit = [.debit(userId: call.userId, coins: charged)] }
        }
        put(call)
        var outcome = CallOutcome(instructions: emit(event, ["callId": .string(id)], to: notify, of: call),
                                  effects: [.store(call)] + debit)
        if status == .completed { outcome.effects.append(.deleteRoom(id)) }
        outcome.instructions += presenceChanges(of: call.telecallerId)
        return outcome
    }

    /// Ends live `call` because one side's owning socket is gone: RINGING → MISSED
    /// (`call:missed` to both), ACCEPTED → COMPLETED (`call:ended` to the other side).
    mutating func abandon(_ call: Call, byUser: Bool, now: Int64) -> CallOutcome {
        let reason: CallEndReason = byUser ? .userDisconnected : .telecallerDisconnected
        if call.status == .ringing {
            return finish(call.id, as: .missed, reason: reason, at: now, notify: .both, event: "call:missed")
        }
        return finish(call.id, as: .completed, reason: reason, at: now, notify: byUser ? .telecaller : .user,
                      event: "call:ended")
    }

    /// Emits `event` with `payload` to the chosen parties of `call`, user first.
    func emit(_ event: String, _ payload: JSON, to parties: Parties, of call: Call) -> [Instruction] {
        var instructions: [Instruction] = []
        if parties != .telecaller { instructions.append(emit(event, payload, toUser: call.userId)) }
        if parties != .user { instructions.append(emit(event, payload, toTelecaller: call.telecallerId)) }
        return instructions
    }

    /// Emits `event` with `payload` to every socket of user `id` on `/user`.
    func emit(_ event: String, _ payload: JSON, toUser id: String) -> Instruction {
        .emit(Emit(ns: Self.userNamespace, event: event, args: [payload], to: Audience(users: [id])))
    }

    /// Emits `event` with `payload` to every socket of telecaller `id` on `/telecaller`.
    func emit(_ event: String, _ payload: JSON, toTelecaller id: String) -> Instruction {
        .emit(Emit(ns: Self.telecallerNamespace, event: event, args: [payload], to: Audience(users: [id])))
    }

    /// `call:error {message}` to the one socket that sent the refused event; nothing changes.
    func refuse(_ socket: CallSocket, _ refusal: CallRefusal) -> CallOutcome {
        CallOutcome(instructions: [.emit(Emit(ns: socket.ns, event: "call:error",
                                              args: [["message": .string(refusal.message)]],
                                              to: Audience(sids: [socket.sid])))],
                    refusal: refusal)
    }

    /// The `callId` string of a payload, if it has one.
    func callID(in payload: JSON?) -> String? {
        guard let id = payload?["callId"]?.stringValue, !id.isEmpty else { return nil }
        return id
    }

    /// Whether `socket`'s account is the party of `call` on the socket's side.
    func isParty(_ socket: CallSocket, of call: Call) -> Bool {
        switch socket.ns {
        case Self.userNamespace: call.userId == socket.identity.id
        case Self.telecallerNamespace: call.telecallerId == socket.identity.id
        default: false
        }
    }
}
