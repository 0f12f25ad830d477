import Contracts
import Foundation
import GRDB
import ServiceKit

/// A small service for the bus and edge tests. It keeps every effect it has in SQLite so that
/// a test can count them: an event that was done twice would show twice.
///
/// - `/ echo …args` → an ack with the same arguments, and the event `echo` with them to the sender
///   (binary attachments included).
/// - `/ record {"key": …}` → one row in `effects`, acked with `{"stored": key}`.
/// - `/ broadcast {"room": …, "event": …, "args": [...], "exceptSelf"?: Bool, "exceptRooms"?: [...]}`
///   → that event to the room, skipping the sender and/or members of other rooms.
/// - `/ kick` → the server disconnects the sender from the namespace.
/// - `/ join {"room": …}` → the sender joins the room.
/// - `/ fail` → the handler throws (the reply carries `INTERNAL_ERROR`).
/// - `/ message …args` → the event `message-back` with them to the sender; `/ message-with-ack …args`
///   → an ack with them (binary attachments included); `/ emit-with-ack …args` → the same event back to
///   the sender asking for its ack, whose arguments come back as `emit-with-ack` again (the answer
///   arrives as `/ emit-with-ack:answer`): the socket.io-protocol suite's test server.
/// - With `greets` (`ECHO_GREETS=1`), every socket that joins `/` or `/custom` gets the event `auth`
///   with its CONNECT payload (`{}` when it sent none), as the suite's server emits
///   `socket.handshake.auth` on connection.
/// - `engine.io message …messages` (a plain Engine.IO endpoint's messages) → an ack with the same
///   messages, which the edge sends back: the engine.io-protocol suite's echo server.
/// - `/ ask {"timeoutMs": …}` → emits `question` to the sender asking for its ack; the answer
///   comes back as `/ answer`, which emits `answered` with what it got to the same socket.
///
/// - HTTP `GET /api/echo/:word` → 200 `{word, query, user}` (`user`: the header's identity or `null`).
/// - HTTP `GET /api/echo/special` → 200 `{"special": true}` (a literal segment beats `:word`).
/// - HTTP `POST /api/rooms/:room/say` → 201 `{"said": body}` with header `X-Echo: said`, and the
///   event `said` with the body to the room `:room` on `/`.
/// - HTTP `GET /api/teapot` → 418 `{"error": "TEAPOT"}`; `GET /api/broken` → an ack that is no response.
///
/// `ECHO_DELAY_MS` slows every handler down, so that a test can kill the service mid-work.
enum EchoService {
    static func definition(delayMilliseconds: Int, greets: Bool = false) -> ServiceDefinition {
        var definition = ServiceDefinition(name: "echo")
        definition.migrations = { migrator in
            migrator.registerMigration("echo.1 effects") { db in
                try db.create(table: "effects") { table in
                    table.autoIncrementedPrimaryKey("seq")
                    table.column("event_id", .text).notNull()
                    table.column("key", .text)
                }
            }
        }
        let pause: @Sendable () async -> Void = {
            if delayMilliseconds > 0 { try? await Task.sleep(for: .milliseconds(delayMilliseconds)) }
        }
        definition.on("/", "echo", pure: true) { event, context in
            await pause()
            // Attached in order, the attachments keep the numbers the arguments' placeholders use.
            for attachment in event.attachments { _ = context.attach(attachment) }
            var instructions = event.acknowledge(event.args)
            if let sid = event.sid {
                instructions.append(.emit(Emit(ns: event.route.ns, event: "echo", args: event.args,
                                               to: Audience(sids: [sid]))))
            }
            return instructions
        }
        definition.on("/", "message", pure: true) { event, context in
            for attachment in event.attachments { _ = context.attach(attachment) }
            guard let sid = event.sid else { return [] }
            return [.emit(Emit(ns: event.route.ns, event: "message-back", args: event.args, to: Audience(sids: [sid])))]
        }
        definition.on("/", "message-with-ack", pure: true) { event, context in
            for attachment in event.attachments { _ = context.attach(attachment) }
            return event.acknowledge(event.args)
        }
        definition.on("/", "emit-with-ack", pure: true) { event, context in
            for attachment in event.attachments { _ = context.attach(attachment) }
            guard let sid = event.sid else { return [] }
            return [.emit(Emit(ns: event.route.ns, event: "emit-with-ack", args: event.args, to: Audience(sids: [sid]),
                               ack: EmitAck(event: "emit-with-ack:answer")))]
        }
        definition.on("/", "emit-with-ack:answer", pure: true) { event, context in
            for attachment in event.attachments { _ = context.attach(attachment) }
            guard let sid = event.sid, let answer = event.args.first, answer["ok"] == true else { return [] }
            return [.emit(Emit(ns: event.route.ns, event: "emit-with-ack", args: answer["args"]?.arrayValue ?? [],
                               to: Audience(sids: [sid])))]
        }
        definition.on("engine.io", "message", pure: true) { event, context in
            for attachment in event.attachments { _ = context.attach(attachment) }
            return event.acknowledge(event.args)
        }
        if greets {
            definition.onLife(.connected) { event, _ in
                guard let fact = event.args.first, let sid = fact["sid"]?.stringValue,
                      let ns = fact["ns"]?.stringValue, ns == "/" || ns == "/custom" else { return [] }
                let auth = fact["auth"] ?? nil
                return [.emit(Emit(ns: ns, event: "auth", args: [auth == .null ? [:] : auth], to: Audience(sids: [sid])))]
            }
        }
        definition.on("/", "record") { event, context in
            await pause()
            let key = event.args.first?["key"]?.jsonText ?? "null"
            let eventID = event.header.id
            return try await context.write { db in
                try db.execute(sql: "INSERT INTO effects (event_id, key) VALUES (?, ?)", arguments: [eventID, key])
                return event.acknowledge([["stored": event.args.first?["key"] ?? nil]])
            }
        }
        definition.on("/", "broadcast", pure: true) { event, _ in
            guard let room = event.args.first?["room"]?.stringValue,
                  let name = event.args.first?["event"]?.stringValue else { return event.acknowledge([["error": "BAD_REQUEST"]]) }
            let args = event.args.first?["args"]?.arrayValue ?? []
            let exceptSelf = event.args.first?["exceptSelf"]?.boolValue == true
            let exceptRooms = event.args.first?["exceptRooms"]?.arrayValue?.compactMap(\.stringValue)
            let except = exceptSelf || exceptRooms != nil
                ? Exclusion(rooms: exceptRooms, sids: exceptSelf ? event.sid.map { [$0] } : nil) : nil
            return [.emit(Emit(ns: event.route.ns, event: name, args: args, to: Audience(rooms: [room]), except: except))]
                + event.acknowledge([["sent": true]])
        }
        definition.on("/", "kick", pure: true) { event, _ in
            guard let sid = event.sid else { return [] }
            return [.disconnect(Disconnect(ns: event.route.ns, sids: [sid], reason: "kicked"))]
        }
        definition.on("/", "join", pure: true) { event, _ in
            guard let room = event.args.first?["room"]?.stringValue, let sid = event.sid else {
                return event.acknowledge([["error": "BAD_REQUEST"]])
            }
            return [.join(Membership(ns: event.route.ns, rooms: [room], sids: [sid]))] + event.acknowledge([["joined": .string(room)]])
        }
        definition.on("/", "ask", pure: true) { event, _ in
            guard let sid = event.sid else { return [] }
            let timeout = event.args.first?["timeoutMs"]?.intValue
            let ack = EmitAck(event: "answer", token: "t-\(sid)", timeoutMs: timeout)
            return [.emit(Emit(ns: event.route.ns, event: "question", args: ["what is it?"], to: Audience(sids: [sid]),
                               ack: ack))] + event.acknowledge([["asked": true]])
        }
        definition.on("/", "answer", pure: true) { event, _ in
            guard let sid = event.sid else { return [] }
            return [.emit(Emit(ns: event.route.ns, event: "answered", args: event.args, to: Audience(sids: [sid])))]
        }
        definition.on("http", "GET /api/echo/:word", pure: true) { event, _ in
            await pause()
            let request = event.args.first
            let user: JSON = event.user.map { identity -> JSON in
                ["id": .string(identity.id), "name": identity.name.map(JSON.string) ?? nil]
            } ?? nil
            let body: JSON = ["word": request?["params"]?["word"] ?? nil, "query": request?["query"] ?? nil,
                              "user": user, "auth": event.header.auth.map(JSON.string) ?? nil]
            return event.acknowledge([["status": 200, "body": body]])
        }
        definition.on("http", "GET /api/echo/special", pure: true) { event, _ in
            event.acknowledge([["status": 200, "body": ["special": true]]])
        }
        definition.on("http", "POST /api/rooms/:room/say") { event, _ in
            let request = event.args.first
            guard let room = request?["params"]?["room"]?.stringValue else { return [] }
            let said = request?["body"] ?? nil
            return [.emit(Emit(ns: "/", event: "said", args: [said], to: Audience(rooms: [room])))]
                + event.acknowledge([["status": 201, "body": ["said": said], "headers": ["X-Echo": "said"]]])
        }
        definition.on("http", "GET /api/teapot", pure: true) { event, _ in
            event.acknowledge([["status": 418, "body": ["error": "TEAPOT"]]])
        }
        definition.on("http", "GET /api/broken", pure: true) { event, _ in
            event.acknowledge([["not": "a response"]])
        }
        definition.on("/", "fail") { _, _ in
            struct Deliberate: Error {}
            throw Deliberate()
        }
        return definition
    }
}
