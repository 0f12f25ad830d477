import Bus
import Contracts
import Foundation

/// Which messages `switchboard trace` shows.
struct TraceFilter {
    var service: String?
    var event: String?
    var user: String?
    var room: String?
    var sid: String?
    var topic: String?
    var showHello: Bool

    func matches(_ envelope: Envelope) -> Bool {
        let header = envelope.header
        if header.type == .hello && !showHello { return false }
        if let topic, !envelope.topic.hasPrefix(topic) { return false }
        if let service, envelope.topic != Topic.service(service), !header.from.hasPrefix("\(service)-") {
            return false
        }
        let summary = TraceSummary(envelope)
        if let event, header.event != event, !summary.events.contains(event) { return false }
        if let user, header.user?.id != user, !summary.users.contains(user) { return false }
        if let room, !summary.rooms.contains(room) { return false }
        if let sid, header.sid != sid, !summary.sids.contains(sid) { return false }
        return true
    }
}

/// What a message's body mentions: instruction ops, event names, rooms, users, sids.
struct TraceSummary {
    var ops: [String] = []
    var events: Set<String> = []
    var rooms: Set<String> = []
    var users: Set<String> = []
    var sids: Set<String> = []

    init(_ envelope: Envelope) {
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

/// One printed line of the trace.
struct TraceLine {
    let envelope: Envelope
    let elapsedMilliseconds: Double?

    private static let timeFormat: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss.SSS"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()

    private var time: String {
        Self.timeFormat.string(from: Date(timeIntervalSince1970: Double(envelope.header.ts) / 1000))
    }

    private var preview: String {
        let text = String(decoding: envelope.body, as: UTF8.self)
        let cut = text.count > 160 ? String(text.prefix(157)) + "..." : text
        return envelope.attachments.isEmpty ? cut : cut + " +\(envelope.attachments.count) binary"
    }

    /// `time topic type what from id/re [+ms] [sid user] preview`.
    var text: String {
        let header = envelope.header
        let summary = TraceSummary(envelope)
        var what = header.event ?? "-"
        if header.type == .reply || header.type == .emit {
            what = summary.ops.isEmpty ? "(none)" : summary.ops.joined(separator: ",")
        }
        if header.type == .hello, let hello = try? envelope.decodeBody(as: Hello.self) {
            what = hello.ready ? "ready" : "probe"
        }
        var parts = [time, envelope.topic, header.type.rawValue, what, "from=\(header.from)"]
        parts.append(header.re.map { "re=\($0)" } ?? "id=\(header.id)")
        if let elapsedMilliseconds { parts.append(String(format: "+%.2fms", elapsedMilliseconds)) }
        if let error = header.error { parts.append("error=\(error)") }
        if let sid = header.sid { parts.append("sid=\(sid)") }
        if let user = header.user { parts.append("user=\(user.id)") }
        parts.append(preview)
        return parts.joined(separator: "  ")
    }

    /// The same as a JSON object: the fields above plus the whole header and body.
    var json: String {
        let header = envelope.header
        let summary = TraceSummary(envelope)
        var object: [String: JSON] = [
            "time": .string(time), "topic": .string(envelope.topic), "type": .string(header.type.rawValue),
            "from": .string(header.from), "id": .string(header.id),
            "ops": .array(summary.ops.map(JSON.string)),
            "attachments": .int(Int64(envelope.attachments.count)),
        ]
        object["event"] = header.event.map(JSON.string)
        object["re"] = header.re.map(JSON.string)
        object["sid"] = header.sid.map(JSON.string)
        object["user"] = header.user.map { JSON.string($0.id) }
        object["error"] = header.error.map(JSON.string)
        object["elapsedMs"] = elapsedMilliseconds.map(JSON.double)
        object["header"] = (try? JSONCoding.encode(header)).flatMap { try? JSONCoding.decode(JSON.self, from: $0) }
        object["body"] = (try? JSONCoding.decode(JSON.self, from: envelope.body)) ?? .string(preview)
        return JSON.object(object).jsonText
    }
}
