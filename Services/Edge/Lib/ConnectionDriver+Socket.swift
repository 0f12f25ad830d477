import Contracts
import EngineIO
import NIOCore
import SocketIO

extension ConnectionDriver {
    /// Feeds a Socket.IO event and carries out its actions.
    func socket(_ event: SocketEvent) {
        perform(socketSession.handle(event, now: owner.now))
    }

    /// Emits an event a service wants answered: the session gives the packet its own ack id,
    /// and the answer (or the timeout) goes back to the service as the event `ack.event`.
    func emit(namespace: String, arguments: [JSON], attachments: [[UInt8]], ack: EmitAck) {
        let event = SocketEvent.emit(namespace: namespace, arguments: arguments, attachments: attachments,
                                     expectsAck: true, ackTimeout: ack.timeoutMs)
        perform(socketSession.handle(event, now: owner.now), requestedAck: ack)
    }

    /// Carries out Socket.IO actions in order. `requestedAck` is the service's ack request of the
    /// emit these actions answer: the ack id the session allocates for it is recorded with it.
    func perform(_ actions: [SocketAction], requestedAck: EmitAck? = nil) {
        for action in actions {
            switch action {
            case .send(let messages):
                engine(.send(messages))
            case .authorize(let namespace, let auth):
                owner.authorize(namespace, auth: auth, on: self)
            case .connected(let namespace, let sid):
                owner.socketConnected(namespace, sid: sid, admitted: authorizing.take(namespace) ?? AuthorizedSocket(),
                                      on: self)
            case .event(let namespace, let sid, let arguments, let attachments, let ackID):
                guard spend(namespace, sid: sid, ackID: ackID) else { continue }
                owner.clientEvent(namespace, sid: sid, arguments: arguments, attachments: attachments, ackID: ackID,
                                  on: self)
            case .awaitingAck(_, let sid, let ackID):
                if let requestedAck { serverAcks[ServerAckKey(sid: sid, ackID: ackID)] = requestedAck }
            case .ackReceived(let namespace, let sid, let ackID, let arguments, let attachments):
                guard let ack = serverAcks.take(ServerAckKey(sid: sid, ackID: ackID)) else { continue }
                answered(ack, namespace: namespace, sid: sid, ["ok": true, "args": .array(arguments)],
                         attachments: attachments)
            case .ackTimedOut(let namespace, let sid, let ackID):
                guard let ack = serverAcks.take(ServerAckKey(sid: sid, ackID: ackID)) else { continue }
                answered(ack, namespace: namespace, sid: sid, ["ok": false, "error": "TIMEOUT"], attachments: [])
            case .disconnected(_, let sid, let reason):
                serverAcks = serverAcks.filter { $0.key.sid != sid }
                owner.socketDisconnected(sid: sid, reason: reason)
            case .closeConnection(let reason):
                owner.hub.logger.info("closing a connection", metadata: ["sid": "\(sid)", "reason": "\(reason)"])
                engine(.close)
            case .scheduleTimer(let time):
                scheduleSocketTimer(time)
            case .cancelTimer:
                scheduleSocketTimer(nil)
            }
        }
    }

    /// A client answered (or let time out) an emit a service asked an ack for: the answer goes to
    /// the service as the client event `ack.event` with one argument `{token?, ok, args | error}`.
    private func answered(_ ack: EmitAck, namespace: String, sid: String, _ answer: [String: JSON],
                          attachments: [[UInt8]])
    {
        var answer = answer
        answer["token"] = ack.token.map(JSON.string)
        owner.clientEvent(namespace, sid: sid, arguments: [.string(ack.event), .object(answer)],
                          attachments: attachments, ackID: nil, on: self)
    }

    /// Spends one of the socket's events; over its rate the event is refused: an ack it asked
    /// for is answered `{"error":"RATE_LIMITED"}`, and the first refusal of a socket is logged.
    private func spend(_ namespace: String, sid: String, ackID: Int64?) -> Bool {
        guard let allowed = owner.sockets[sid]?.budget.spend(at: owner.now.milliseconds), !allowed else { return true }
        owner.hub.metrics.deliveryFailed("RATE_LIMITED")
        if rateLimited.insert(sid).inserted {
            owner.hub.logger.warning("socket over its event rate", metadata: ["sid": "\(sid)", "ns": "\(namespace)",
                                                                          "address": "\(address)"])
        }
        if let ackID {
            socket(.acknowledge(namespace: namespace, ackID: ackID, arguments: [["error": "RATE_LIMITED"]],
                                attachments: []))
        }
        return false
    }


    /// Schedules (or, with `nil`, cancels) the Socket.IO side's timer.
    private func scheduleSocketTimer(_ time: EngineTime?) {
        socketTimer?.cancel()
        socketTimer = time.flatMap { schedule(SocketTimerCallback(loop: owner.handle, sid: sid), at: $0) }
    }
}

extension Dictionary {
    /// Removes and returns the value of `key`; the table's storage goes with its last entry, so
    /// that a connection's tables (``ConnectionDriver/authorizing``,
    /// ``ConnectionDriver/serverAcks``) hold no allocation while it is idle.
    mutating func take(_ key: Key) -> Value? {
        let value = removeValue(forKey: key)
        if isEmpty { self = [:] }
        return value
    }
}
