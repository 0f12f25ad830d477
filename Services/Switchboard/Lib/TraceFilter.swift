import Bus
import Contracts
import Foundation

/// Which messages `switchboard trace` (and the console's live table) shows: every filter given
/// must match.
public struct TraceFilter: Sendable, Equatable {
    /// Only messages to or from this service (topic `svc.NAME`, or sent by `NAME-…`).
    public var service: String?
    /// Only this event name (client events, and emits of it).
    public var event: String?
    /// Only messages of this user id (sender, or emit/join target).
    public var user: String?
    /// Only messages about this room (emit targets, joins, leaves, life facts).
    public var room: String?
    /// Only messages of this socket id.
    public var sid: String?
    /// Only topics starting with this text.
    public var topic: String?
    /// Also hellos (hidden otherwise).
    public var showHello: Bool

    /// A filter of these parts; `nil` or empty parts match everything.
    public init(service: String? = nil, event: String? = nil, user: String? = nil, room: String? = nil,
                sid: String? = nil, topic: String? = nil, showHello: Bool = false) {
        func given(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        self.service = given(service)
        self.event = given(event)
        self.user = given(user)
        self.room = given(room)
        self.sid = given(sid)
        self.topic = given(topic)
        self.showHello = showHello
    }

    /// `true` when `envelope` passes every part; its body is read only for the parts that need it.
    public func matches(_ envelope: Envelope) -> Bool {
        let header = envelope.header
        if header.type == .hello && !showHello { return false }
        if let topic, !envelope.topic.hasPrefix(topic) { return false }
        if let service, envelope.topic != Topic.service(service), !header.from.hasPrefix("\(service)-") {
            return false
        }
        guard event != nil || user != nil || room != nil || sid != nil else { return true }
        let summary = TraceSummary(envelope)
        if let event, header.event != event, !summary.events.contains(event) { return false }
        if let user, header.user?.id != user, !summary.users.contains(user) { return false }
        if let room, !summary.rooms.contains(room) { return false }
        if let sid, header.sid != sid, !summary.sids.contains(sid) { return false }
        return true
    }
}

/// What a message's body mentions: instruction ops, event names, rooms, users, sids.
public struct TraceSummary: Sendable {
    /// The instructions' `op`s, in order (replies and emits).
    public var ops: [String] = []
    /// The events emitted.
    public var events: Set<String> = []
    /// The rooms named (targets, joins, leaves, life facts).
    public var rooms: Set<String> = []
    /// The user ids named.
    public var users: Set<String> = []
    /// The socket ids named.
    public var sids: Set<String> = []

    /// Reads `envelope`'s body (an undecodable body mentions nothing).
    public init(_ envelope: Envelope) {
        switch envelope.header.type {
        case .reply, .emit:
            for instruction in (try? envelope.decodeBody(as: [Instruction].self)) ?? [] {
                ops.append(instruction.op)
                add(instruction)
            }
        case .life, .event:
            // Life facts and events name rooms and sockets in their argument objects.
            for argument in (try? envelope.decodeBody(as: [JSON].self)) ?? [] {
                if let room = argument["room"]?.stringValue { rooms.insert(room) }
                for room in argument["rooms"]?.arrayValue ?? [] { room.stringValue.map { _ = rooms.insert($0) } }
                if let sid = argument["sid"]?.stringValue { sids.insert(sid) }
            }
        case .hello:
            break
        }
    }

    private mutating func add(_ instruction: Instruction) {
        switch instruction {
        case .emit(let emit):
            events.insert(emit.event)
            rooms.formUnion(emit.to.rooms ?? [])
            rooms.formUnion(emit.except?.rooms ?? [])
            users.formUnion(emit.to.users ?? [])
            sids.formUnion(emit.to.sids ?? [])
        case .ack(let ack):
            sids.insert(ack.sid)
        case .join(let membership), .leave(let membership):
            rooms.formUnion(membership.rooms)
            users.formUnion(membership.users ?? [])
            sids.formUnion(membership.sids ?? [])
        case .disconnect(let disconnect):
            users.formUnion(disconnect.users ?? [])
            sids.formUnion(disconnect.sids ?? [])
        case .accept, .reject:
            break
        }
    }
}
