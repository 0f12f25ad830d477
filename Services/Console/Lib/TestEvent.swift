import Bus
import Contracts
import Foundation

/// The page's "send a test event": `{ns, event, args, user}` published for whichever service
/// announced `(ns, event)`, as `switchboard send` does, with an ack asked; the answer is the reply's
/// error, instructions and latency. The reply also joins the live table.
enum TestEvent {
    /// Sends the event described by `body` and returns what became of it.
    static func send(_ body: Data, context: ConsoleContext) async -> JSON {
        guard let request = try? JSONCoding.decode(JSON.self, from: body),
              let event = request["event"]?.stringValue, !event.isEmpty else {
            return .object(["ok": false, "error": "send {\"event\": NAME, \"ns\": \"/\", \"args\": [...], \"user\": ID}"])
        }
        let ns = request["ns"]?.stringValue ?? "/"
        var args = request["args"] ?? .array([])
        if let text = args.stringValue {
            guard let parsed = try? JSONCoding.decode(JSON.self, from: Data(text.utf8)) else {
                return .object(["ok": false, "error": "args is not JSON"])
            }
            args = parsed
        }
        guard case .array = args else { return .object(["ok": false, "error": "args must be a JSON array"]) }
        let client = context.client
        var header = BusHeader(type: .event, from: client.instance)
        header.ns = ns
        header.event = event
        header.ack = true
        header.sid = "\(client.instance)-test"
        header.replyTo = client.inbox
        if let user = request["user"]?.stringValue, !user.isEmpty { header.user = Identity(id: user) }
        let envelope = Envelope(topic: "", header: header, body: Data(args.jsonText.utf8))
        let route = Route(ns: ns, event: event)
        _ = await client.waitForRoute(route, timeout: .seconds(2))
        let start = ContinuousClock.now
        do {
            let reply = try await client.request(envelope, route: route)
            context.state.ingest([reply])
            let elapsed = ContinuousClock.now - start
            var answer: [String: JSON] = [
                "ok": .bool(reply.header.error == nil), "id": .string(header.id),
                "ms": .double(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15),
                "from": .string(reply.header.from),
                "body": (try? JSONCoding.decode(JSON.self, from: reply.body)) ?? .null,
            ]
            answer["error"] = reply.header.error.map(JSON.string)
            return .object(answer)
        } catch {
            return .object(["ok": false, "id": .string(header.id), "error": .string(error.description)])
        }
    }
}
