import Bus
import Contracts
import Foundation
import SwitchboardKit

/// One line of the live table, as JSON for the page: the trace's columns (time, topic, type,
/// what, from, id or re, latency, sid, user, error), the service it concerns, and the whole
/// header and body for the detail view.
enum ConsoleLine {
    /// Bodies longer than this are cut in the detail view.
    static let bodyLimit = 8192

    /// The line of `entry`.
    static func json(_ entry: ConsoleState.Entry) -> JSON {
        let envelope = entry.envelope
        let header = envelope.header
        let summary = TraceSummary(envelope)
        var what = header.event ?? "-"
        if header.type == .reply || header.type == .emit {
            what = summary.ops.isEmpty ? "(none)" : summary.ops.joined(separator: ",")
        }
        if header.type == .hello, let hello = try? envelope.decodeBody(as: Hello.self) {
            what = hello.ready ? "ready" : "probe"
        }
        var object: [String: JSON] = [
            "seq": .int(Int64(entry.sequence)), "ts": .int(header.ts), "topic": .string(envelope.topic),
            "type": .string(header.type.rawValue), "what": .string(what), "from": .string(header.from),
            "id": .string(header.id), "service": .string(service(of: envelope)),
        ]
        object["event"] = header.event.map(JSON.string)
        object["re"] = header.re.map(JSON.string)
        object["sid"] = header.sid.map(JSON.string)
        object["user"] = header.user.map { JSON.string($0.id) }
        object["error"] = header.error.map(JSON.string)
        object["ms"] = entry.elapsedMilliseconds.map(JSON.double)
        object["header"] = (try? JSONCoding.encode(header)).flatMap { try? JSONCoding.decode(JSON.self, from: $0) }
        if envelope.body.count <= bodyLimit, let body = try? JSONCoding.decode(JSON.self, from: envelope.body) {
            object["body"] = body
        } else {
            let text = String(decoding: envelope.body.prefix(bodyLimit), as: UTF8.self)
            object["body"] = .string(envelope.body.count > bodyLimit ? text + "… (\(envelope.body.count) bytes)" : text)
        }
        if !envelope.attachments.isEmpty { object["attachments"] = .int(Int64(envelope.attachments.count)) }
        return .object(object)
    }

    /// The service a message is to (`svc.NAME`) or from (`NAME-…`).
    static func service(of envelope: Envelope) -> String {
        if envelope.topic.hasPrefix("svc.") { return String(envelope.topic.dropFirst(4)) }
        let from = envelope.header.from
        if let dash = from.lastIndex(of: "-") { return String(from[..<dash]) }
        return from
    }
}
