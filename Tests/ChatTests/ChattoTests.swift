@testable import Chat
import Contracts
import GRDB
import Testing

@Suite("Chatto: rooms, history, messages, typing, leaving")
struct ChattoTests {
    let room = "64a1a0c1e4b0c1d2e3f40001"

    func seeded() async throws -> Harness {
        let harness = try Harness()
        try await harness.seed(["chatRooms": [["id": .string(room), "name": "General", "createdAt": "2025-01-02T10:15:00.000Z"]]])
        return harness
    }

    @Test("join room: joins chatto:{id}, history to the requester, user joined room to the others (once)")
    func join() async throws {
        let harness = try await seeded()
        let out = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        #expect(out == [
            .join(Membership(ns: "/", rooms: ["chatto:\(room)"], sids: ["a1"])),
            .emit(Emit(ns: "/", event: "message history", args: [[]], to: Audience(sids: ["a1"]))),
            .emit(Emit(ns: "/", event: "user joined room", args: [["roomId": .string(room), "user": "alice"]],
                       to: Audience(rooms: ["chatto:\(room)"]), except: Exclusion(sids: ["a1"]))),
        ])
        let again = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        #expect(emits(again).map(\.event) == ["message history"])
    }

    @Test("chat message: stored, sent to the whole room in the seed's shape, acked; history shows it oldest first")
    func message() async throws {
        let harness = try await seeded()
        _ = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        for (index, text) in ["Hello, world!", "second"].enumerated() {
            let out = try await harness.send("chat message", [["roomId": .string(room), "user": "alice", "text": .string(text)]],
                                             sid: "a1", ack: true, ts: eventTS + Int64(index))
            let sent = try #require(emits(out).first)
            #expect(sent.event == "chat message")
            #expect(sent.to == Audience(rooms: ["chatto:\(room)"]))
            #expect(sent.except == nil)
            let message = try #require(sent.args.first)
            #expect(message["_id"]?.stringValue?.count == 24)
            #expect(message["room"] == .string(room))
            #expect(message["user"] == "alice")
            #expect(message["text"] == .string(text))
            #expect(message["timestamp"] == .string(Timestamp.iso8601(eventTS + Int64(index))))
            #expect(ackArgs(out)?["success"] == true)
        }
        let join = try await harness.send("join room", [["roomId": .string(room), "user": "bob"]], sid: "b1")
        let history = try #require(emits(join).first { $0.event == "message history" }?.args.first?.arrayValue)
        #expect(history.compactMap { $0["text"]?.stringValue } == ["Hello, world!", "second"])
        #expect(history.first?.objectValue?.keys.sorted() == ["_id", "room", "text", "timestamp", "user"])
    }

    @Test("chat message refusals: unknown room, text length, no user, not joined, someone else's name")
    func refusals() async throws {
        let harness = try await seeded()
        _ = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        func error(_ payload: JSON, sid: String = "a1", user: Identity? = nil) async throws -> JSON? {
            ackArgs(try await harness.send("chat message", [payload], sid: sid, user: user, ack: true))
        }
        #expect(try await error(["roomId": "nope", "user": "alice", "text": "x"]) == ["success": false, "error": "Room not found"])
        #expect(try await error(["roomId": .string(room), "user": "alice", "text": ""])?["error"]
            == "Message text must be 1 to 2000 characters")
        #expect(try await error(["roomId": .string(room), "user": "alice", "text": .string(String(repeating: "y", count: 2001))])?["error"]
            == "Message text must be 1 to 2000 characters")
        #expect(try await error(["roomId": .string(room), "text": "x"])?["error"] == "User is required")
        #expect(try await error(["roomId": .string(room), "user": "alice", "text": "x"], sid: "other")?["error"]
            == "Join the room first")
        #expect(try await error(["roomId": .string(room), "user": "mallory", "text": "x"])?["error"] == "Join the room first")
        #expect(try await error(["roomId": .string(room), "user": "alice", "text": "x"], user: Identity(id: "9", name: "bob"))?["error"]
            == "You cannot act as another user")
        #expect(try await error(["roomId": 5, "user": "alice", "text": "x"])?["error"] == "Room not found")
        let count = try await harness.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chatto_message") }
        #expect(count == 0)
        // Without an ack request the refusal is an `error` event to the sender.
        let out = try await harness.send("chat message", ["just text"], sid: "a1")
        #expect(emits(out) == [Emit(ns: "/", event: "error", args: [["event": "chat message", "error": "Invalid payload"]],
                                    to: Audience(sids: ["a1"]))])
    }

    @Test("an authenticated socket is its identity; anonymous sockets on jwt namespaces are refused")
    func identity() async throws {
        let harness = try await seeded()
        let out = try await harness.send("join room", [["roomId": .string(room)]], sid: "j1",
                                         user: Identity(id: "7", name: "carol"), auth: "jwt")
        #expect(emits(out).last?.args.first?["user"] == "carol")
        let anonymous = try await harness.send("join room", [["roomId": .string(room), "user": "carol"]], sid: "j2",
                                               auth: "jwt", ack: true)
        #expect(ackArgs(anonymous)?["error"] == "You cannot act as another user")
    }

    @Test("create room → room created to everyone; typing to the others; leave and disconnect → user left room")
    func roomsTypingLeaving() async throws {
        let harness = try await seeded()
        let created = try await harness.send("create room", [["name": "  Sports "]], ack: true)
        let event = try #require(emits(created).first)
        #expect(event.event == "room created")
        #expect(event.to == Audience(all: true))
        #expect(event.args.first?["name"] == "Sports")
        #expect(event.args.first?["createdAt"] == .string(Timestamp.iso8601(eventTS)))
        #expect(ackArgs(try await harness.send("create room", [["name": ""]], ack: true))?["success"] == false)

        _ = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        _ = try await harness.send("join room", [["roomId": .string(room), "user": "bob"]], sid: "b1")
        let typing = try await harness.send("typing", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        #expect(emits(typing) == [Emit(ns: "/", event: "typing", args: [["roomId": .string(room), "user": "alice"]],
                                       to: Audience(rooms: ["chatto:\(room)"]), except: Exclusion(sids: ["a1"]))])
        #expect(emits(try await harness.send("typing", [["roomId": .string(room), "user": "eve"]], sid: "e1")).map(\.event)
            == ["error"])

        let left = Emit(ns: "/", event: "user left room", args: [["roomId": .string(room), "user": "alice"]],
                        to: Audience(rooms: ["chatto:\(room)"]))
        #expect(try await harness.send("leave room", [["roomId": .string(room)]], sid: "a1") == [
            .leave(Membership(ns: "/", rooms: ["chatto:\(room)"], sids: ["a1"])), .emit(left),
        ])
        let gone = try await harness.life(.disconnected, ["sid": "b1", "ns": "/", "reason": "transport close", "rooms": []])
        #expect(emits(gone).map { $0.args.first?["user"] } == ["bob"])
        #expect(try await harness.life(.disconnected, ["sid": "b1", "ns": "/"]).isEmpty)
    }

    @Test("a snapshot of an edge ends the rooms of its sockets that are gone (chat was away when they left)")
    func snapshotAfterRestart() async throws {
        let harness = try await seeded()
        _ = try await harness.send("join room", [["roomId": .string(room), "user": "alice"]], sid: "a1")
        _ = try await harness.send("join room", [["roomId": .string(room), "user": "bob"]], sid: "b1")
        let snapshot: JSON = ["edge": .string(edgeA), "sockets": [["sid": "a1", "ns": "/", "rooms": []]]]
        let out = try await harness.life(.snapshot, snapshot)
        #expect(emits(out).map { $0.args.first?["user"] } == ["bob"])
        #expect(try await harness.life(.snapshot, snapshot).isEmpty)
        let other: JSON = ["edge": "edge-other", "sockets": []]
        #expect(try await harness.life(.snapshot, other).isEmpty)
    }
}
