import Contracts
import EngineIO

extension SocketSession {
    /// A message from Engine.IO: decoded, then routed; a malformed packet closes everything.
    mutating func received(_ message: EngineData, _ actions: inout [SocketAction]) {
        let packet: SocketPacket?
        do {
            packet = try decoder.decode(message)
        } catch {
            finish(.parseError(error), &actions)
            actions.append(.closeConnection(.parseError(error)))
            return
        }
        guard let packet else { return }
        // The reference's rule: a CONNECT only for a namespace without a socket, any other
        // packet only for a namespace with one; anything else ends the connection, and so does
        // a CONNECT_ERROR, which only servers send.
        let isConnect = packet.kind == .connect
        switch (isConnect, memberships[packet.namespace]) {
        case (false, _) where packet.kind == .connectError:
            let error = SocketParseError.invalidState
            finish(.parseError(error), &actions)
            actions.append(.closeConnection(.parseError(error)))
            return
        case (true, nil), (false, .connected?):
            break
        case (true, .authorizing?):
            return
        default:
            let error = SocketParseError.invalidState
            finish(.parseError(error), &actions)
            actions.append(.closeConnection(.parseError(error)))
            return
        }
        switch packet.kind {
        case .connect: clientConnect(packet, &actions)
        case .disconnect:
            guard let membership = memberships.removeValue(forKey: packet.namespace),
                  case .connected(let connection) = membership
            else { return }
            actions.append(.disconnected(namespace: packet.namespace, sid: connection.sid,
                                         reason: .clientNamespaceDisconnect))
        case .event, .binaryEvent:
            guard var connection = connection(packet.namespace) else { return }
            if let ackID = packet.ackID {
                connection.expectAnswer(ackID)
                memberships[packet.namespace] = .connected(connection)
            }
            // The name as socket.io dispatches it: a number names the event of its decimal text.
            var arguments = packet.arguments
            if let name = packet.eventName, !arguments.isEmpty { arguments[0] = .string(name) }
            actions.append(.event(namespace: packet.namespace, sid: connection.sid, arguments: arguments,
                                  attachments: packet.attachments, ackID: packet.ackID))
        case .ack, .binaryAck:
            // An ack without an id, or for no emit of ours, is ignored (the reference's "bad ack").
            guard var connection = connection(packet.namespace), let ackID = packet.ackID,
                  connection.takeAck(ackID)
            else { return }
            memberships[packet.namespace] = .connected(connection)
            actions.append(.ackReceived(namespace: packet.namespace, sid: connection.sid, ackID: ackID,
                                        arguments: packet.arguments, attachments: packet.attachments))
        case .connectError:
            return  // handled above: it ends the connection
        }
    }

    /// A client CONNECT: unknown namespaces are refused, a repeated one is ignored.
    mutating func clientConnect(_ packet: SocketPacket, _ actions: inout [SocketAction]) {
        guard configuration.namespaces.contains(packet.namespace) else {
            send(.connectError(namespace: packet.namespace, data: ["message": "Invalid namespace"]), &actions)
            return
        }
        guard memberships[packet.namespace] == nil else { return }
        memberships[packet.namespace] = .authorizing
        actions.append(.authorize(namespace: packet.namespace, auth: packet.data))
    }

    /// The upper layer admits a CONNECT: the socket joins and the connect timeout ends.
    mutating func accept(_ namespace: String, sid: String, _ actions: inout [SocketAction]) {
        guard memberships[namespace] == .authorizing else { return }
        memberships[namespace] = .connected(NamespaceConnection(namespace: namespace, sid: sid))
        connectDeadline = nil
        send(.connect(namespace: namespace, sid: sid), &actions)
        actions.append(.connected(namespace: namespace, sid: sid))
    }

    /// A server emit, allocating an ack id when an answer is expected.
    mutating func emit(_ namespace: String, _ arguments: [JSON], _ attachments: [[UInt8]], expectsAck: Bool,
                       deadline: EngineTime?, _ actions: inout [SocketAction]) {
        guard var connection = connection(namespace) else { return }
        var ackID: Int64?
        if expectsAck {
            let id = connection.allocateAck(deadline: deadline)
            memberships[namespace] = .connected(connection)
            actions.append(.awaitingAck(namespace: namespace, sid: connection.sid, ackID: id))
            ackID = id
        }
        send(.event(namespace: namespace, arguments, ackID: ackID, attachments: attachments), &actions)
    }

    /// The server disconnects one namespace: DISCONNECT is sent, other namespaces stay.
    mutating func serverDisconnect(_ namespace: String, _ actions: inout [SocketAction]) {
        guard let membership = memberships.removeValue(forKey: namespace),
              case .connected(let connection) = membership
        else { return }
        send(.disconnect(namespace: namespace), &actions)
        actions.append(.disconnected(namespace: namespace, sid: connection.sid, reason: .serverNamespaceDisconnect))
    }

    /// Fires the connect timeout (only while no namespace is joined) and expired acks.
    mutating func timerFired(now: EngineTime, _ actions: inout [SocketAction]) {
        armedTimer = nil
        if let deadline = connectDeadline, deadline <= now {
            finish(.connectTimeout, &actions)
            actions.append(.closeConnection(.connectTimeout))
            return
        }
        for namespace in memberships.keys.sorted() {
            guard var connection = connection(namespace) else { continue }
            let expired = connection.expireAcks(now: now)
            guard !expired.isEmpty else { continue }
            memberships[namespace] = .connected(connection)
            for id in expired {
                actions.append(.ackTimedOut(namespace: namespace, sid: connection.sid, ackID: id))
            }
        }
    }
}
