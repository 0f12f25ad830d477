import Bus
import Contracts
import Foundation
import SwitchboardKit

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
