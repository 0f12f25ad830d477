import Bus
import Contracts
import NIOCore
import SocketIO

/// A socket's side of the bus: the facts published about it (connected, disconnected, joined,
/// left, and the resync snapshot) and the events it sends, whose acks wait for their replies.
extension EdgeLoop {
    /// A socket joined client namespace `client`: indexed (by sid, user and rooms) under its bus
    /// namespace (its app's, ``EdgeApps``) and announced on `life`.
    func socketConnected(_ client: String, sid: String, admitted: AuthorizedSocket, on driver: ConnectionDriver) {
        let namespace = hub.configuration.busNamespace(client, ofListener: driver.listener)
        let limits = hub.configuration.limits
        let budget = EventBudget(configuration: .init(perSecond: limits.eventsPerSecond, burst: limits.eventBurst),
                                 now: now.milliseconds)
        sockets[sid] = SocketRecord(driver: driver, namespace: namespace, admitted: admitted, budget: budget)
        rooms[namespace, default: RoomIndex()].add(sid, user: admitted.identity?.id)
        membershipChanged(in: namespace)
        hub.metrics.socketConnected(namespace: namespace)
        hub.bus.publishLife(.connected(.init(sid: sid, ns: namespace, user: admitted.identity, ip: driver.address,
                                             transport: driver.transportName, auth: admitted.auth)))
    }

    /// A socket left its namespace: forgotten, and announced on `life` with the rooms it was in.
    func socketDisconnected(sid: String, reason: SocketDisconnectReason) {
        guard let record = sockets.removeValue(forKey: sid) else { return }
        let namespace = record.namespace, admitted = record.admitted
        let formerRooms = rooms[namespace]?.rooms(of: sid) ?? []
        rooms[namespace]?.remove(sid)
        membershipChanged(in: namespace)
        hub.metrics.socketDisconnected(namespace: namespace)
        hub.bus.publishLife(.disconnected(.init(sid: sid, ns: namespace, user: admitted.identity,
                                                reason: reason.description, rooms: Array(formerRooms))))
    }

    /// A socket joined or left a room: announced on `life`.
    func roomFact(_ kind: LifeFactKind, sid: String, namespace: String, room: String) {
        let change = LifeFact.RoomChange(sid: sid, ns: namespace, user: sockets[sid]?.admitted.identity, room: room)
        hub.bus.publishLife(kind == .left ? .left(change) : .joined(change))
    }

    /// Every live socket of this loop as a resync snapshot lists it, and the stream's position
    /// when it was taken: the part holds every fact of this loop up to that number and none after.
    func snapshot() -> (stamp: LifeStamp, sockets: [LifeSocket]) {
        let stamp = hub.bus.life.position
        let sockets = sockets.map { sid, record in
            LifeSocket(sid: sid, ns: record.namespace, user: record.admitted.identity,
                       rooms: Array(rooms[record.namespace]?.rooms(of: sid) ?? []))
        }
        return (stamp, sockets)
    }

    // MARK: - Client events

    /// A client event: published to the service that announced it, with the socket's identity;
    /// its ack (if the client asked for one) waits for the reply as an ``OutstandingRequest``.
    func clientEvent(_ client: String, sid: String, arguments: [JSON], attachments: [[UInt8]], ackID: Int64?,
                     on driver: ConnectionDriver)
    {
        guard let name = arguments.first?.stringValue else { return }
        let auth = hub.configuration.namespaces(ofListener: driver.listener)[client]?.auth.rawValue
        let namespace = hub.configuration.busNamespace(client, ofListener: driver.listener)
        let header = hub.headers.event(Route(ns: namespace, event: name), sid: sid,
                                       user: sockets[sid]?.admitted.identity, ack: ackID != nil,
                                       ip: driver.address, auth: auth)
        hub.metrics.eventIn(name)
        let waiter = ClientEventWaiter(loop: handle, sid: sid, namespace: namespace, ackID: ackID, event: name,
                                       started: .now())
        hub.send(header, arguments: Array(arguments.dropFirst()), attachments: attachments,
                 request: .clientEvent(waiter))
    }

    /// A client event got no answer from its reply's instructions: an error reply or a delivery
    /// failure answers it in its declared failure shape, else its ack with `{"error": code}`. (A reply's `ack` answers it while the
    /// reply is carried out; a reply without one leaves it unanswered, as a Node handler that
    /// never calls its callback would.)
    func finishClientEvent(_ waiter: ClientEventWaiter, _ outcome: RequestOutcome) {
        if case .undelivered(let failure) = outcome {
            logDeliveryFailure(failure, event: waiter.event, sid: waiter.sid)
            hub.metrics.deliveryFailed(failure.code)
        } else {
            hub.metrics.busRoundTrip(since: waiter.started)
        }
        guard let code = outcome.errorCode, !waiter.plain else { return }
        answerFailure(waiter, code: code)
    }

    /// Answers a failed client event in the shape its service declared (``FailureShape``): the
    /// declared emit to the sending socket, then the declared ack (else `{"error": code}`) when the
    /// client asked for one.
    func answerFailure(_ waiter: ClientEventWaiter, code: String) {
        guard let shape = hub.bus.failureShape(for: Route(ns: waiter.namespace, event: waiter.event)) else {
            return answer(waiter, with: [["error": .string(code)]], attachments: [])
        }
        let now = Clock.millisecondsSinceEpoch()
        let fill = { (template: JSON) in FailureShape.fill(template, code: code, event: waiter.event, now: now) }
        if let emit = shape.emit, let record = sockets[waiter.sid] {
            hub.metrics.eventOut(emit.event, sockets: 1)
            record.driver.socket(.emit(namespace: EdgeApps.clientNamespace(waiter.namespace), arguments: [.string(emit.event)] + emit.args.map(fill),
                                       attachments: [], expectsAck: false, ackTimeout: nil))
        }
        answer(waiter, with: shape.ack?.map(fill) ?? [["error": .string(code)]], attachments: [])
    }

    /// Answers a client's ack, if it asked for one and its socket is still here.
    func answer(_ waiter: ClientEventWaiter, with arguments: [JSON], attachments: [[UInt8]]) {
        if waiter.plain { return answerPlain(waiter, with: arguments, attachments: attachments) }
        guard let ackID = waiter.ackID, let record = sockets[waiter.sid] else { return }
        record.driver.socket(.acknowledge(namespace: EdgeApps.clientNamespace(waiter.namespace), ackID: ackID, arguments: arguments,
                                          attachments: attachments))
    }

    /// Logs an undelivered event: the first of each second in full, the rest counted into the
    /// next line, so an overload cannot flood the log from the event loop.
    func logDeliveryFailure(_ failure: DeliveryFailure, event: String, sid: String) {
        let now = NIODeadline.now()
        guard now - failureLog.last >= .seconds(1) else {
            failureLog.suppressed += 1
            return
        }
        hub.logger.warning("event not delivered", metadata: [
            "event": "\(event)", "sid": "\(sid)", "reason": "\(failure)",
            "more since the last line": "\(failureLog.suppressed)",
        ])
        failureLog = (now, 0)
    }
}
