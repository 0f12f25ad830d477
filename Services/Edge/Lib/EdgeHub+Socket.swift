import Foundation
import Bus
import Contracts
import EngineIO
import NIOCore
import SocketIO

/// A client event waiting for its service's reply: which socket asked, with which ack id.
struct ClientAck {
    let sid: String
    let namespace: String
    let ackID: Int64?
    let event: String
    let started: NIODeadline
}

/// A client's ack a service asked for: the socket and the ack id it was sent with.
struct ServerAckKey: Hashable {
    let sid: String
    let ackID: Int64
}

/// A CONNECT waiting for a service's decision.
struct PendingDecision {
    let connection: Connection
    let namespace: String
}

extension EdgeHub {
    /// Carries out Socket.IO actions in order.
    func perform(_ actions: [SocketAction], on connection: Connection) {
        for action in actions {
            switch action {
            case .send(let messages):
                engine(.send(messages), on: connection)
            case .authorize(let namespace, let auth):
                authorize(namespace, auth: auth, on: connection)
            case .connected(let namespace, let sid):
                connected(namespace, sid: sid, on: connection)
            case .event(let namespace, let sid, let arguments, let attachments, let ackID):
                clientEvent(namespace, sid: sid, arguments: arguments, attachments: attachments, ackID: ackID)
            case .awaitingAck(_, let sid, let ackID):
                if let requestedAck { serverAcks[ServerAckKey(sid: sid, ackID: ackID)] = requestedAck }
            case .ackReceived(let namespace, let sid, let ackID, let arguments, let attachments):
                guard let ack = serverAcks.removeValue(forKey: ServerAckKey(sid: sid, ackID: ackID)) else { continue }
                var answer: [String: JSON] = ["ok": true, "args": .array(arguments)]
                answer["token"] = ack.token.map(JSON.string)
                clientEvent(namespace, sid: sid, arguments: [.string(ack.event), .object(answer)],
                            attachments: attachments, ackID: nil)
            case .ackTimedOut(let namespace, let sid, let ackID):
                guard let ack = serverAcks.removeValue(forKey: ServerAckKey(sid: sid, ackID: ackID)) else { continue }
                var answer: [String: JSON] = ["ok": false, "error": "TIMEOUT"]
                answer["token"] = ack.token.map(JSON.string)
                clientEvent(namespace, sid: sid, arguments: [.string(ack.event), .object(answer)], attachments: [],
                            ackID: nil)
            case .disconnected(let namespace, let sid, let reason):
                disconnected(namespace, sid: sid, reason: reason)
            case .closeConnection(let reason):
                logger.info("closing a connection", metadata: ["sid": "\(connection.sid)", "reason": "\(reason)"])
                engine(.close, on: connection)
            case .scheduleTimer(let time):
                socketTimer(time, on: connection)
            case .cancelTimer:
                socketTimer(nil, on: connection)
            }
        }
    }

    /// Authenticates a CONNECT, then (if the namespace asks for it) lets a service decide.
    private func authorize(_ namespace: String, auth: JSON?, on connection: Connection) {
        guard let settings = configuration.namespaces(ofListener: connection.listener)[namespace] else {
            socket(.reject(namespace: namespace, data: ["message": "Invalid namespace"]), on: connection)
            return
        }
        let request = Authorizer.Request(namespace: namespace, settings: settings, auth: auth,
                                         cookie: connection.cookie, address: connection.address,
                                         listener: connection.listener)
        let authorizer = self.authorizer
        let loop = self.loop
        let engineSID = connection.sid
        Task {
            let result = await authorizer.authenticate(request)
            loop.execute { [self] in
                // The connection may have closed while authentication ran.
                guard let connection = connections[engineSID] else { return }
                switch result {
                case .failure(let failure):
                    metrics.connectionRefused(namespace: namespace, reason: failure.message)
                    socket(.reject(namespace: namespace, data: failure.payload), on: connection)
                case .success(let admitted):
                    if settings.decide {
                        askService(namespace, admitted: admitted, on: connection)
                    } else {
                        admit(namespace, admitted, on: connection)
                    }
                }
            }
        }
    }

    /// Admits a socket: a new sid, and the CONNECT answered.
    func admit(_ namespace: String, _ admitted: AuthorizedSocket, on connection: Connection) {
        connection.authorizing[namespace] = admitted
        socket(.accept(namespace: namespace, sid: SocketID.make()), on: connection)
    }

    private func connected(_ namespace: String, sid: String, on connection: Connection) {
        let admitted = connection.authorizing.removeValue(forKey: namespace) ?? AuthorizedSocket()
        sockets[sid] = SocketRecord(connection: connection, namespace: namespace, admitted: admitted)
        rooms[namespace, default: RoomIndex()].add(sid, user: admitted.identity?.id)
        metrics.socketConnected(namespace: namespace)
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace), "ip": .string(connection.address),
                                    "transport": .string(connection.transportName)]
        if let identity = admitted.identity { fact["user"] = Self.json(identity) }
        if let auth = admitted.auth { fact["auth"] = auth }
        bus.publishLife(.connected, fact: .object(fact), user: admitted.identity)
    }

    private func disconnected(_ namespace: String, sid: String, reason: SocketDisconnectReason) {
        guard let record = sockets.removeValue(forKey: sid) else { return }
        serverAcks = serverAcks.filter { $0.key.sid != sid }
        let formerRooms = rooms[namespace]?.rooms(of: sid) ?? []
        rooms[namespace]?.remove(sid)
        metrics.socketDisconnected(namespace: namespace)
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace),
                                    "reason": .string(reason.description),
                                    "rooms": .array(formerRooms.sorted().map(JSON.string))]
        if let identity = record.admitted.identity { fact["user"] = Self.json(identity) }
        bus.publishLife(.disconnected, fact: .object(fact), user: record.admitted.identity)
    }

    /// A client event: published to the service that announced it; its ack (if asked) waits
    /// for the reply, or gets the failure.
    private func clientEvent(_ namespace: String, sid: String, arguments: [JSON], attachments: [[UInt8]],
                             ackID: Int64?)
    {
        guard let record = sockets[sid], let name = arguments.first?.stringValue else { return }
        var header = BusHeader(type: .event, from: bus.instance)
        header.ns = namespace
        header.event = name
        header.sid = sid
        header.edge = bus.instance
        header.user = record.admitted.identity
        header.ack = ackID != nil
        header.ip = record.connection.address
        header.auth = configuration.namespaces(ofListener: record.connection.listener)[namespace]?.auth.rawValue
        header.traceparent = MessageID.traceparent()
        let body = (try? JSONCoding.encode(Array(arguments.dropFirst()))) ?? Data("[]".utf8)
        let envelope = Envelope(topic: "", header: header, body: body, attachments: attachments.map { Data($0) })
        let waiting = ClientAck(sid: sid, namespace: namespace, ackID: ackID, event: name, started: .now())
        clientAcks[header.id] = waiting
        metrics.eventIn(name)
        let id = header.id
        bus.send(envelope, route: Route(ns: namespace, event: name)) { result in
            self.loop.execute { self.eventFinished(id, result: result) }
        }
    }

    /// The delivery of a client event ended: a failure or an error reply answers the ack here;
    /// a good reply's instructions (its `ack` among them) are carried out by ``apply(_:)``.
    private func eventFinished(_ id: String, result: Result<Envelope, DeliveryFailure>) {
        guard let waiting = clientAcks[id] else { return }
        let code: String
        switch result {
        case .success(let reply):
            metrics.busRoundTrip(since: waiting.started)
            guard let error = reply.header.error else { return }
            code = error
        case .failure(let failure):
            code = failure.code
            logDeliveryFailure(failure, event: waiting.event, sid: waiting.sid)
            metrics.deliveryFailed(code)
        }
        clientAcks[id] = nil
        answer(waiting, with: [["error": .string(code)]], attachments: [])
    }

    /// Logs an undelivered event: the first of each second in full, the rest counted into the
    /// next line, so an overload cannot flood the log from the event loop.
    func logDeliveryFailure(_ failure: DeliveryFailure, event: String, sid: String) {
        let now = NIODeadline.now()
        guard now - failureLog.last >= .seconds(1) else {
            failureLog.suppressed += 1
            return
        }
        logger.warning("event not delivered", metadata: [
            "event": "\(event)", "sid": "\(sid)", "reason": "\(failure)",
            "more since the last line": "\(failureLog.suppressed)",
        ])
        failureLog = (now, 0)
    }

    /// Answers a client's ack, if it asked for one and its socket is still here.
    func answer(_ waiting: ClientAck, with arguments: [JSON], attachments: [[UInt8]]) {
        guard let ackID = waiting.ackID, let record = sockets[waiting.sid] else { return }
        socket(.acknowledge(namespace: waiting.namespace, ackID: ackID, arguments: arguments, attachments: attachments),
               on: record.connection)
    }

    static func json(_ identity: Identity) -> JSON {
        var object: [String: JSON] = ["id": .string(identity.id)]
        if let role = identity.role { object["role"] = .string(role) }
        if let name = identity.name { object["name"] = .string(name) }
        return .object(object)
    }
}
