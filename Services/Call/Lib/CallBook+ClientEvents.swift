import Contracts

extension CallBook {
    /// `call:initiate {telecallerId, callType}` from a user socket. Checks in the seed's order:
    /// payload, call type, rate limit (an attempt counts once the payload is valid), user
    /// account (missing, not ACTIVE, or a balance below one minute of this telecaller's rate),
    /// telecaller (missing, not approved, blocked), set unavailable, busy (a RINGING or ACCEPTED
    /// call), no socket, the user's own live call. Success: `call:incoming` to the telecaller,
    /// `call:ringing` to the user, a RINGING call owned by the sending socket.
    mutating func initiate(_ socket: CallSocket, _ payload: JSON?, now: Int64,
                           newCallID: () -> String) -> CallOutcome
    {
        guard let telecallerId = payload?["telecallerId"]?.stringValue, !telecallerId.isEmpty,
              let typeText = payload?["callType"]?.stringValue
        else { return refuse(socket, .invalidRequest) }
        guard let callType = CallType(rawValue: typeText) else { return refuse(socket, .invalidCallType) }
        let userId = socket.identity.id
        guard allow(\.initiateLimiter, userId, now: now) else { return refuse(socket, .tooManyAttempts) }
        guard let user = users[userId], user.status == .active,
              user.coinBalance >= telecallers[telecallerId]?.ratePerMinute ?? 0
        else { return refuse(socket, .accountUnavailable) }
        guard let telecaller = telecallers[telecallerId], telecaller.approved, telecaller.status == .active
        else { return refuse(socket, .telecallerGone) }
        guard !unavailable.contains(telecallerId) else { return refuse(socket, .telecallerOffline(name: telecaller.name)) }
        guard liveCall(ofTelecaller: telecallerId) == nil else { return refuse(socket, .telecallerBusy(name: telecaller.name)) }
        guard isConnected(telecallerId, on: Self.telecallerNamespace)
        else { return refuse(socket, .telecallerUnavailable(name: telecaller.name)) }
        guard liveCall(ofUser: userId) == nil else { return refuse(socket, .alreadyInCall) }

        let call = Call(id: newCallID(), userId: userId, telecallerId: telecallerId, callType: callType,
                        ratePerMinute: telecaller.ratePerMinute, initiatedAt: now,
                        ringDeadline: now + configuration.ringTimeoutMs, userSid: socket.sid)
        put(call)
        var outcome = CallOutcome(
            instructions: [
                emit("call:incoming", ["callId": .string(call.id), "callType": .string(callType.rawValue),
                                       "caller": user.callerJSON], toTelecaller: telecallerId),
                emit("call:ringing", ["callId": .string(call.id), "telecaller": telecaller.summaryJSON],
                     toUser: userId),
            ],
            effects: [.store(call)])
        outcome.instructions += presenceChanges(of: telecallerId)
        return outcome
    }

    /// `call:cancel {callId}` from a user socket (any of the user's sockets): payload, rate
    /// limit, party, RINGING; then CANCELLED and `call:cancelled {callId}` to the telecaller.
    mutating func cancel(_ socket: CallSocket, _ payload: JSON?, now: Int64) -> CallOutcome {
        guard let id = callID(in: payload) else { return refuse(socket, .invalidRequest) }
        guard allow(\.cancelLimiter, socket.identity.id, now: now) else { return refuse(socket, .tooManyAttempts) }
        guard let call = calls[id], isParty(socket, of: call) else { return refuse(socket, .callNotFound) }
        guard call.status == .ringing else { return refuse(socket, .notRinging) }
        return finish(id, as: .cancelled, reason: .cancelled, at: now, notify: .telecaller, event: "call:cancelled")
    }

    /// `call:accept {callId}` from a telecaller socket: party, RINGING (a call whose ring
    /// deadline has passed is already MISSED, see `handle`). The call becomes ACCEPTED, owned on
    /// the telecaller's side by the accepting socket; each side gets `call:accepted` with its
    /// own LiveKit token (identities `user:<id>` and `telecaller:<id>`, room = call id).
    mutating func accept(_ socket: CallSocket, _ payload: JSON?, now: Int64) -> CallOutcome {
        guard let id = callID(in: payload) else { return refuse(socket, .invalidRequest) }
        guard var call = calls[id], isParty(socket, of: call) else { return refuse(socket, .callNotFound) }
        guard call.status == .ringing else { return refuse(socket, .notRinging) }
        call.status = .accepted
        call.acceptedAt = now
        call.telecallerSid = socket.sid
        put(call)

        let user = users[call.userId]
        let userName = user?.name ?? ""
        let telecallerName = telecallers[call.telecallerId]?.name ?? socket.identity.name ?? ""
        let caller = user?.callerJSON ?? ["_id": .string(call.userId), "name": .string(userName), "profile": .null]
        let userToken = makeToken("user:\(call.userId)", userName, id)
        let telecallerToken = makeToken("telecaller:\(call.telecallerId)", telecallerName, id)
        var outcome = CallOutcome(
            instructions: [
                emit("call:accepted", ["callId": .string(id), "livekit": liveKit(userToken, room: id)],
                     toUser: call.userId),
                emit("call:accepted", ["callId": .string(id), "callType": .string(call.callType.rawValue),
                                       "caller": caller, "livekit": liveKit(telecallerToken, room: id)],
                     toTelecaller: call.telecallerId),
            ],
            effects: [.store(call)])
        outcome.instructions += presenceChanges(of: call.telecallerId)
        return outcome
    }

    /// `call:reject {callId}` from a telecaller socket: party, RINGING; then REJECTED and
    /// `call:rejected {callId}` to the user.
    mutating func reject(_ socket: CallSocket, _ payload: JSON?, now: Int64) -> CallOutcome {
        guard let id = callID(in: payload) else { return refuse(socket, .invalidRequest) }
        guard let call = calls[id], isParty(socket, of: call) else { return refuse(socket, .callNotFound) }
        guard call.status == .ringing else { return refuse(socket, .notRinging) }
        return finish(id, as: .rejected, reason: .rejected, at: now, notify: .user, event: "call:rejected")
    }

    /// `call:end {callId}` from either side (any socket of the party): payload, rate limit
    /// (per namespace and account), party, ACCEPTED; then COMPLETED, billed, `call:ended
    /// {callId}` to the other side, and the LiveKit room deleted.
    mutating func end(_ socket: CallSocket, _ payload: JSON?, now: Int64) -> CallOutcome {
        guard let id = callID(in: payload) else { return refuse(socket, .invalidRequest) }
        guard allow(\.endLimiter, "\(socket.ns) \(socket.identity.id)", now: now)
        else { return refuse(socket, .tooManyAttempts) }
        guard let call = calls[id], isParty(socket, of: call) else { return refuse(socket, .callNotFound) }
        guard call.status == .accepted else { return refuse(socket, .notInProgress) }
        let byUser = socket.ns == Self.userNamespace
        return finish(id, as: .completed, reason: byUser ? .endedByUser : .endedByTelecaller, at: now,
                      notify: byUser ? .telecaller : .user, event: "call:ended")
    }

    /// The `livekit` object: `{token, url, roomName}`.
    private func liveKit(_ token: String, room: String) -> JSON {
        ["token": .string(token), "url": .string(configuration.liveKitURL), "roomName": .string(room)]
    }
}
