import Contracts
import EngineIO
import SocketIO

extension EdgeLoop {
    /// Carries out every instruction list waiting in this loop's inbox, oldest first.
    func carryOutInbox() {
        for item in handle.inbox.take() { carryOut(item.list, answering: item.request) }
    }

    /// Carries out a reply or an emit for this loop's sockets, in order. A reply is carried out
    /// once even when a re-published event was answered twice, and an emit once even when a
    /// service published it again after a crash (a durable emit keeps its id). When `request`
    /// (this loop's, the event the reply answers) is given, the reply's `ack` for its socket
    /// answers the client at its place in the list, and the request is finished from the list (an
    /// HTTP response, a decision); otherwise acks and decisions are another edge's (or nobody's
    /// any more) and skipped.
    func carryOut(_ list: InstructionList, answering request: OutstandingRequest?) {
        let key = list.header.type == .reply ? list.header.re : list.header.id
        if let key, !applied.insert(key), request == nil { return }
        var waiting: ClientEventWaiter?
        if case .clientEvent(let waiter) = request { waiting = waiter }
        for instruction in list.instructions {
            hub.metrics.instructionApplied(instruction.op)
            switch instruction {
            case .emit(let emit):
                self.emit(emit, attachments: list.attachments)
            case .ack(let ack):
                guard let waiter = waiting, waiter.sid == ack.sid else { continue }
                waiting = nil
                let (arguments, bytes) = Placeholders.extract(ack.args, from: list.attachments)
                answer(waiter, with: arguments, attachments: bytes)
            case .join(let membership):
                for sid in localSockets(membership.ns, sids: membership.sids, users: membership.users) {
                    for room in membership.rooms where !(rooms[membership.ns]?.rooms(of: sid).contains(room) ?? false) {
                        rooms[membership.ns]?.join(sid, room: room)
                        membershipChanged(in: membership.ns, room: room)
                        roomFact(.joined, sid: sid, namespace: membership.ns, room: room)
                    }
                }
            case .leave(let membership):
                for sid in localSockets(membership.ns, sids: membership.sids, users: membership.users) {
                    for room in membership.rooms where rooms[membership.ns]?.rooms(of: sid).contains(room) ?? false {
                        rooms[membership.ns]?.leave(sid, room: room)
                        membershipChanged(in: membership.ns, room: room)
                        roomFact(.left, sid: sid, namespace: membership.ns, room: room)
                    }
                }
            case .disconnect(let disconnect):
                for sid in localSockets(disconnect.ns, sids: disconnect.sids, users: disconnect.users) {
                    sockets[sid]?.driver.socket(.disconnect(namespace: EdgeApps.clientNamespace(disconnect.ns)))
                }
            case .accept, .reject:
                // Read by the decision's waiter (``finishDecision(_:_:)``).
                continue
            }
        }
        if let request { finish(request, .answered(list)) }
    }

    /// Sends an event to every matching socket of this loop, encoded and framed once (or once per socket
    /// when the service asks each client for an ack, each packet with its own ack id).
    private func emit(_ emit: Emit, attachments: [[UInt8]]) {
        guard let index = rooms[emit.ns] else { return }
        let audience = {
            SocketIO.Audience(everyone: emit.to.all ?? false, rooms: Set(emit.to.rooms ?? []),
                              sids: Set(emit.to.sids ?? []), users: Set(emit.to.users ?? []),
                              exceptRooms: Set(emit.except?.rooms ?? []), exceptSids: Set(emit.except?.sids ?? []))
        }
        let (arguments, bytes) = Placeholders.extract(emit.args, from: attachments)
        let packetArguments = [JSON.string(emit.event)] + arguments
        let client = EdgeApps.clientNamespace(emit.ns)
        if let ack = emit.ack {
            let targets = index.resolve(audience())
            guard !targets.isEmpty else { return }
            hub.metrics.eventOut(emit.event, sockets: targets.count)
            for sid in targets {
                sockets[sid]?.driver.emit(namespace: client, arguments: packetArguments, attachments: bytes, ack: ack)
            }
            return
        }
        let recipients: [ConnectionDriver]
        if let sid = Self.onlySocket(of: emit) {
            // One socket by sid (a reply's emit to its sender): found at once, no audience resolved.
            recipients = sockets[sid].flatMap { $0.namespace == emit.ns ? [$0.driver] : nil } ?? []
        } else if let (drivers, excluded) = broadcastTargets(audience(), namespace: emit.ns, index: index) {
            recipients = excluded.isEmpty ? drivers : drivers.filter { driver in !excluded.contains { $0 === driver } }
        } else {
            recipients = index.resolve(audience()).compactMap { sockets[$0]?.driver }
        }
        guard !recipients.isEmpty else { return }
        hub.metrics.eventOut(emit.event, sockets: recipients.count)
        let encoded = SocketPacket.event(namespace: client, packetArguments, attachments: bytes).encoded
        let framed = WebSocketFrameBytes.encode(encoded.map { EnginePacket.message($0).frame }, allocator: allocator)
        for driver in recipients {
            driver.send(encoded, framed: framed)
        }
    }

    /// The sid of the one socket `emit` names, when it names exactly one by sid and nothing else
    /// (no rooms, users, everyone or exclusions).
    private static func onlySocket(of emit: Emit) -> String? {
        guard emit.except == nil, let sids = emit.to.sidsOnly, sids.count == 1 else { return nil }
        return sids[0]
    }

    /// The sockets of this loop in `namespace` named by sid or by user.
    private func localSockets(_ namespace: String, sids: [String]?, users: [String]?) -> [String] {
        var found = (sids ?? []).filter { sockets[$0]?.namespace == namespace }
        for user in users ?? [] {
            found += rooms[namespace]?.sids(ofUser: user).sorted() ?? []
        }
        return found
    }
}
