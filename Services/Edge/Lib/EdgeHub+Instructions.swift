import Bus
import Contracts
import EngineIO
import SocketIO

extension EdgeHub {
    /// Carries out a service's reply or emit, in order, for the sockets of this edge.
    /// A reply is carried out once even when a re-published event was answered twice.
    func apply(_ envelope: Envelope) {
        let header = envelope.header
        if header.type == .reply, let re = header.re, !appliedReplies.insert(re) { return }
        let instructions: [Instruction]
        do {
            instructions = try envelope.decodeBody(as: [Instruction].self)
        } catch {
            logger.warning("dropped instructions that cannot be read", metadata: ["from": "\(header.from)",
                                                                                 "reason": "\(error)"])
            return
        }
        let attachments = envelope.attachments.map { [UInt8]($0) }
        var decided = false
        for instruction in instructions {
            metrics.instructionApplied(instruction.op)
            switch instruction {
            case .emit(let emit):
                self.emit(emit, attachments: attachments)
            case .ack(let ack):
                guard let re = header.re, let waiting = clientAcks[re], waiting.sid == ack.sid else { continue }
                clientAcks[re] = nil
                let (arguments, bytes) = Placeholders.extract(ack.args, from: attachments)
                answer(waiting, with: arguments, attachments: bytes)
            case .join(let membership):
                for sid in localSockets(membership.ns, sids: membership.sids, users: membership.users) {
                    for room in membership.rooms where !(rooms[membership.ns]?.rooms(of: sid).contains(room) ?? false) {
                        rooms[membership.ns]?.join(sid, room: room)
                        roomFact(.joined, sid: sid, namespace: membership.ns, room: room)
                    }
                }
            case .leave(let membership):
                for sid in localSockets(membership.ns, sids: membership.sids, users: membership.users) {
                    for room in membership.rooms where rooms[membership.ns]?.rooms(of: sid).contains(room) ?? false {
                        rooms[membership.ns]?.leave(sid, room: room)
                        roomFact(.left, sid: sid, namespace: membership.ns, room: room)
                    }
                }
            case .disconnect(let disconnect):
                for sid in localSockets(disconnect.ns, sids: disconnect.sids, users: disconnect.users) {
                    guard let record = sockets[sid] else { continue }
                    socket(.disconnect(namespace: disconnect.ns), on: record.connection)
                }
            case .accept(let decision), .reject(let decision):
                guard let re = header.re, let pending = decisions.removeValue(forKey: re) else { continue }
                decided = true
                decide(pending, accept: instruction.op == "accept", data: decision.data)
            }
        }
        guard header.type == .reply, let re = header.re else { return }
        // A reply without an ack leaves the client's ack unanswered, as a Node handler that
        // never calls its callback would; forget it so it cannot leak.
        clientAcks[re] = nil
        if !decided, let pending = decisions.removeValue(forKey: re) {
            decide(pending, accept: false, data: ["message": "Connection refused"])
        }
    }

    /// Sends an event to every matching local socket, encoded once.
    private func emit(_ emit: Emit, attachments: [[UInt8]]) {
        guard let index = rooms[emit.ns] else { return }
        let audience = SocketIO.Audience(everyone: emit.to.all ?? false, rooms: Set(emit.to.rooms ?? []),
                                         sids: Set(emit.to.sids ?? []), users: Set(emit.to.users ?? []),
                                         exceptRooms: Set(emit.except?.rooms ?? []),
                                         exceptSids: Set(emit.except?.sids ?? []))
        let targets = index.resolve(audience)
        guard !targets.isEmpty else { return }
        let (arguments, bytes) = Placeholders.extract(emit.args, from: attachments)
        metrics.eventOut(emit.event, sockets: targets.count)
        if let ack = emit.ack {
            // Each socket gets its own ack id, so each packet is encoded by its session.
            for sid in targets {
                guard let record = sockets[sid] else { continue }
                requestedAck = ack
                socket(.emit(namespace: emit.ns, arguments: [.string(emit.event)] + arguments, attachments: bytes,
                             expectsAck: true, ackTimeout: ack.timeoutMs), on: record.connection)
                requestedAck = nil
            }
            return
        }
        let encoded = SocketPacket.event(namespace: emit.ns, [.string(emit.event)] + arguments, attachments: bytes)
            .encoded
        for sid in targets {
            guard let record = sockets[sid] else { continue }
            engine(.send(encoded), on: record.connection)
        }
    }

    /// The local sockets of `namespace` named by sid or by user.
    private func localSockets(_ namespace: String, sids: [String]?, users: [String]?) -> [String] {
        var found = (sids ?? []).filter { sockets[$0]?.namespace == namespace }
        for user in users ?? [] {
            found += rooms[namespace]?.sids(ofUser: user).sorted() ?? []
        }
        return found
    }

    private func roomFact(_ kind: LifeFactKind, sid: String, namespace: String, room: String) {
        let identity = sockets[sid]?.admitted.identity
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(namespace), "room": .string(room)]
        if let identity { fact["user"] = Self.json(identity) }
        bus.publishLife(kind, fact: .object(fact), user: identity)
    }
}

/// Binary placeholders: a bus message numbers its attachments across its whole body, while a
/// Socket.IO packet numbers its own from 0.
enum Placeholders {
    /// `arguments` with their placeholders renumbered from 0 in order of appearance, and the
    /// attachments they name. A placeholder naming no attachment becomes `null`.
    static func extract(_ arguments: [JSON], from attachments: [[UInt8]]) -> ([JSON], [[UInt8]]) {
        var taken: [[UInt8]] = []
        func walk(_ value: JSON) -> JSON {
            switch value {
            case .object(let members):
                if members["_placeholder"] == .bool(true), let number = members["num"]?.intValue {
                    guard attachments.indices.contains(Int(number)) else { return .null }
                    taken.append(attachments[Int(number)])
                    return SocketPacket.placeholder(taken.count - 1)
                }
                return .object(members.mapValues(walk))
            case .array(let elements):
                return .array(elements.map(walk))
            default:
                return value
            }
        }
        let renumbered = arguments.map(walk)
        return (renumbered, taken)
    }
}
