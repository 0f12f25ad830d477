import Bus
import Contracts
import NIOCore
import SocketIO

/// A socket's side of the bus: the facts published about it (connected, disconnected, joined,
/// left, and the resync snapshot) and the events it sends, whose acks wait for their replies.
extension EdgeLoop {
    /// A socket joined `namespace`: indexed (by sid, user and rooms) and announced on `life`.
    func socketConnected(_ namespace: String, sid: String, admitted: AuthorizedSocket, on driver: ConnectionDriver) {
        sockets[sid] = SocketRecord(driver: driver, namespace: namespace, admitted: admitted)
        rooms[namespace, default: RoomIndex()].add(sid, user: admitted.identity?.id)
        hub.metrics.socketConnected(namespace: namespace)
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace), "ip": .string(driver.address),
                                    "transport": .string(driver.transportName)]
        if let identity = admitted.identity { fact["user"] = identity.json }
        if let auth = admitted.auth { fact["auth"] = auth }
        hub.publishLife(.connected, fact: .object(fact), user: admitted.identity)
    }

    /// A socket left `namespace`: forgotten, and announced on `life` with the rooms it was in.
    func socketDisconnected(_ namespace: String, sid: String, reason: SocketDisconnectReason,
                            admitted: AuthorizedSocket)
    {
        guard sockets.removeValue(forKey: sid) != nil else { return }
        let formerRooms = rooms[namespace]?.rooms(of: sid) ?? []
        rooms[namespace]?.remove(sid)
        hub.metrics.socketDisconnected(namespace: namespace)
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace),
                                    "reason": .string(reason.description),
                                    "rooms": .array(formerRooms.sorted().map(JSON.string))]
        if let identity = admitted.identity { fact["user"] = identity.json }
        hub.publishLife(.disconnected, fact: .object(fact), user: admitted.identity)
    }

    /// A socket joined or left a room: announced on `life`.
    func roomFact(_ kind: LifeFactKind, sid: String, namespace: String, room: String) {
        let identity = sockets[sid]?.admitted.identity
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace), "room": .string(room)]
        if let identity { fact["user"] = identity.json }
        hub.publishLife(kind, fact: .object(fact), user: identity)
    }

    /// Every live socket of this loop as a resync snapshot lists it: `{sid, ns, user?, rooms}`.
    func snapshot() -> [(sid: String, socket: JSON)] {
        sockets.map { sid, record in
            var socket: [String: JSON] = [
                "sid": .string(sid), "ns": .string(record.namespace),
                "rooms": .array((rooms[record.namespace]?.rooms(of: sid) ?? []).sorted().map(JSON.string)),
            ]
            if let identity = record.admitted.identity { socket["user"] = identity.json }
            return (sid, .object(socket))
        }
    }

    // MARK: - Client events

    /// A client event: published to the service that announced it, with the socket's identity;
    /// its ack (if the client asked for one) waits for the reply as an ``OutstandingRequest``.
    func clientEvent(_ namespace: String, sid: String, arguments: [JSON], attachments: [[UInt8]], ackID: Int64?,
                     on driver: ConnectionDriver)
    {
        guard let name = arguments.first?.stringValue else { return }
        let auth = hub.configuration.namespaces(ofListener: driver.listener)[namespace]?.auth.rawValue
        let header = hub.headers.event(Route(ns: namespace, event: name), sid: sid,
                                       user: driver.members[namespace]?.identity, ack: ackID != nil,
                                       ip: driver.address, auth: auth)
        hub.metrics.eventIn(name)
        let waiter = ClientEventWaiter(loop: handle, sid: sid, namespace: namespace, ackID: ackID, event: name,
                                       started: .now())
        hub.send(header, arguments: Array(arguments.dropFirst()), attachments: attachments,
                 request: .clientEvent(waiter))
    }

    /// A client event got no answer from its reply's instructions: an error reply or a delivery
    /// failure answers its ack with `{"error": code}`. (A reply's `ack` answers it while the
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
        answer(waiter, with: [["error": .string(code)]], attachments: [])
    }

    /// Answers a client's ack, if it asked for one and its socket is still here.
    func answer(_ waiter: ClientEventWaiter, with arguments: [JSON], attachments: [[UInt8]]) {
        if waiter.plain { return answerPlain(waiter, with: arguments, attachments: attachments) }
        guard let ackID = waiter.ackID, let record = sockets[waiter.sid] else { return }
        record.driver.socket(.acknowledge(namespace: waiter.namespace, ackID: ackID, arguments: arguments,
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
