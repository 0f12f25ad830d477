@testable import Chat
import Contracts
import GRDB
import ServiceKit
import Testing

/// HomeAssistant's users 1 (john_doe), 2 (jane), 3 (sara_cleaner), 4 (mike_butler) and the
/// conversation 1:2.
func homeSeeded(_ conversations: [String] = ["1:2"]) async throws -> Harness {
    let harness = try Harness()
    let answer = try await harness.seed([
        "users": [["id": 1, "name": "john_doe"], ["id": 2, "name": "jane"], ["id": 3, "name": "sara_cleaner"],
                  ["id": 4, "name": "mike_butler"]],
        "conversations": .array(conversations.map { ["roomID": .string($0)] }),
    ])
    #expect(answer["conversations"] == .int(Int64(conversations.count)))
    return harness
}

/// The refusal code of `instructions` (checking the error emit's shape), or `nil`.
func refusalCode(_ instructions: [Instruction], sid: String = "s1") -> String? {
    guard let error = emits(instructions).first(where: { $0.event == "error" }), let payload = error.args.first else { return nil }
    #expect(error.to == Audience(sids: [sid]))
    #expect(payload.objectValue?.keys.sorted() == ["code", "error", "timestamp"])
    #expect(payload["timestamp"] == .string(Timestamp.iso8601(eventTS)))
    #expect(payload["error"]?.stringValue?.isEmpty == false)
    if let ack = ackArgs(instructions) { #expect(ack == ["success": false, "error": payload["code"] ?? .null]) }
    return payload["code"]?.stringValue
}

@Suite("HomeAssistant: room ids, joining, messages, typing")
struct HomeChatTests {
    @Test("room ids: numeric, ascending, distinct, at least two; a room: prefix is accepted")
    func roomIDs() {
        #expect(HomeRoomID("1:2")?.members == ["1", "2"])
        #expect(HomeRoomID("room:1:2:10")?.id == "1:2:10")
        for bad in ["2:1", "1:1", "1", "01:2", "a:b", "1::2", ":1:2", "1:2:", "", "room:", "-1:2", "1:2:2", "1 :2"] {
            #expect(HomeRoomID(bad) == nil, "\(bad)")
        }
        #expect(HomeRoomID(members: ["10", "2", "1"])?.id == "1:2:10")
        #expect(HomeRoomID(members: ["2", "2"]) == nil)
        #expect(HomeRoomID(JSON.int(12)) == nil)
    }

    @Test("chatRoom.join: a member joins room:{id} of an existing conversation; chatRoom.leave leaves")
    func joinAndLeave() async throws {
        let harness = try await homeSeeded()
        let joined = try await harness.send("chatRoom.join", ["1:2"], user: Identity(id: "1"), auth: "jwt", ack: true)
        #expect(joined == [.join(Membership(ns: "/", rooms: ["room:1:2"], sids: ["s1"])),
                           .ack(Ack(sid: "s1", args: [["success": true]]))])
        let prefixed = try await harness.send("chatRoom.join", ["room:1:2"], user: Identity(id: "2"), auth: "session")
        #expect(prefixed == [.join(Membership(ns: "/", rooms: ["room:1:2"], sids: ["s1"]))])
        // An anonymous socket where the namespace trusts payloads.
        let anonymous = try await harness.send("chatRoom.join", ["1:2"], auth: "optional")
        #expect(anonymous == [.join(Membership(ns: "/", rooms: ["room:1:2"], sids: ["s1"]))])
        let left = try await harness.send("chatRoom.leave", ["1:2"], user: Identity(id: "1"), ack: true)
        #expect(left == [.leave(Membership(ns: "/", rooms: ["room:1:2"], sids: ["s1"])),
                         .ack(Ack(sid: "s1", args: [["success": true]]))])
    }

    @Test("chatRoom.join refusals: not a member, anonymous where auth is required, no conversation, bad ids")
    func joinRefusals() async throws {
        let harness = try await homeSeeded()
        func code(_ args: [JSON], user: Identity? = nil, auth: String = "optional") async throws -> String? {
            let out = try await harness.send("chatRoom.join", args, user: user, auth: auth, ack: true)
            #expect(!out.contains { if case .join = $0 { true } else { false } })
            return refusalCode(out)
        }
        #expect(try await code(["1:2"], user: Identity(id: "3")) == "FORBIDDEN")
        #expect(try await code(["1:2"], auth: "jwt") == "FORBIDDEN")
        #expect(try await code(["1:2"], auth: "session") == "FORBIDDEN")
        #expect(try await code(["1:3"], user: Identity(id: "1")) == "NOT_FOUND")
        for bad: [JSON] in [["2:1"], [12], [], [["roomID": "1:2"]], ["1"], [.null]] {
            #expect(try await code(bad, user: Identity(id: "1")) == "INVALID_PAYLOAD", "\(bad)")
        }
        // Without an ack request: the error emit only.
        let out = try await harness.send("chatRoom.join", ["1:2"], user: Identity(id: "3"))
        #expect(out.count == 1 && refusalCode(out) == "FORBIDDEN")
    }

    static func message(_ text: JSON = "Hello!", from: JSON = "1", room: JSON = "1:2", contact: Bool = false) -> JSON {
        ["data": ["message": text, "from": from, "roomID": room, "fromUsername": "john_doe", "roomKey": "room:1:2",
                  "lastMessage": text, "unreadMessArray": [["recipientID": "2", "roomID": room, "countNumber": 99,
                                                            "updateStatus": true]],
                  "createRoomNotification": .null, "contact": .bool(contact)]]
    }

    @Test("message: stored; messageRoom to the room, messagePage to recipients not in it, messageResponseNotify with the server's count")
    func messageFanOut() async throws {
        let harness = try await homeSeeded()
        let user = Identity(id: "1", name: "john_doe")
        _ = try await harness.send("message", [Self.message("first")], user: user, auth: "jwt")
        let out = try await harness.send("message", [Self.message()], user: user, auth: "jwt", ack: true)
        let date: JSON = ["day": 2, "month": 2, "year": 2026, "time": "12:00"]
        #expect(emits(out) == [
            Emit(ns: "/", event: "messageRoom",
                 args: [["message": "Hello!", "from": "1", "roomID": "1:2", "fromUsername": "john_doe", "date": date]],
                 to: Audience(rooms: ["room:1:2"])),
            Emit(ns: "/", event: "messagePage", args: [["roomID": "1:2", "lastMessage": "Hello!"]],
                 to: Audience(rooms: ["user:2"]), except: Exclusion(rooms: ["room:1:2"])),
            Emit(ns: "/", event: "messageResponseNotify",
                 args: [["roomID": "1:2", "fromUsername": "john_doe", "fromUserID": "1", "userID": "2",
                         "lastMessage": "Hello!", "unreadUpdateStatus": true, "unreadCount": 2,
                         "createRoomNotification": .null]],
                 to: Audience(rooms: ["user:2"])),
        ])
        #expect(ackArgs(out) == ["success": true])
        let room = try #require(HomeRoomID("1:2"))
        let (stored, unread) = try await harness.database.read { db in
            (try HomeStore.messages(db, room: room), try HomeStore.unread(db, room: room, user: "2"))
        }
        #expect(stored.map(\.text) == ["first", "Hello!"] && stored.allSatisfy { $0.sender == "1" && $0.senderName == "john_doe" })
        #expect(unread == 2)
        // Opening the conversation clears the count.
        _ = try await harness.send("chatRoom.join", ["1:2"], user: Identity(id: "2"), auth: "jwt")
        #expect(try await harness.database.read { try HomeStore.unread($0, room: room, user: "2") } == 0)
    }

    @Test("message: contact sends firstMessageConversation; a first message creates the conversation and joins the sender")
    func firstContact() async throws {
        let harness = try await homeSeeded([])
        let out = try await harness.send("message", [Self.message("Hi", from: "2", room: "2:3", contact: true)], sid: "a1")
        #expect(out.first == .join(Membership(ns: "/", rooms: ["room:2:3"], sids: ["a1"])))
        #expect(emits(out).map(\.event) == ["messageRoom", "messagePage", "firstMessageConversation", "messageResponseNotify"])
        let first = try #require(emits(out).first { $0.event == "firstMessageConversation" })
        #expect(first.args == [["roomID": "2:3", "from": "2", "fromUsername": "john_doe", "lastMessage": "Hi"]])
        #expect(first.to == Audience(rooms: ["user:3"]))
        // The conversation exists now: joining it works, and a second message joins nobody.
        #expect(try await harness.send("chatRoom.join", ["2:3"], user: Identity(id: "3")).count == 1)
        let second = try await harness.send("message", [Self.message("again", from: "2", room: "2:3")], sid: "a1")
        #expect(!second.contains { if case .join = $0 { true } else { false } })
    }

    @Test("message refusals: someone else's id, not a member, anonymous where auth is required, wrong types; nothing stored")
    func messageRefusals() async throws {
        let harness = try await homeSeeded()
        func code(_ args: [JSON], user: Identity? = nil, auth: String = "optional") async throws -> String? {
            refusalCode(try await harness.send("message", args, user: user, auth: auth, ack: true))
        }
        #expect(try await code([Self.message(from: "2")], user: Identity(id: "1")) == "FORBIDDEN")
        #expect(try await code([Self.message(from: "3", room: "1:2")]) == "FORBIDDEN")
        #expect(try await code([Self.message()], auth: "session") == "FORBIDDEN")
        let wrong: [[JSON]] = [[], ["Hello"], [["data": "x"]], [Self.message(12)], [Self.message("  ")],
                               [Self.message(.string(String(repeating: "x", count: 5001)))], [Self.message(room: 12)],
                               [Self.message(room: "2:1")], [Self.message(from: ["id": 1])], [["message": "no data"]]]
        for args in wrong {
            #expect(try await code(args) == "INVALID_PAYLOAD", "\(args)")
        }
        let count = try await harness.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM home_message") }
        #expect(count == 0)
    }

    @Test("typing: typingMessageStart / Stop to the room except the sender; members only")
    func typing() async throws {
        let harness = try await homeSeeded()
        let payload: JSON = ["roomID": "1:2", "user": ["userID": "1", "username": "john_doe"]]
        for (event, sent) in [("startTypingRoom", "typingMessageStart"), ("stopTypingRoom", "typingMessageStop")] {
            let out = try await harness.send(event, [payload], sid: "t1", user: Identity(id: "1", name: "john_doe"), auth: "jwt")
            #expect(out == [.emit(Emit(ns: "/", event: sent,
                                       args: [["senderID": "1", "senderUsername": "john_doe", "roomID": "1:2"]],
                                       to: Audience(rooms: ["room:1:2"]), except: Exclusion(sids: ["t1"])))])
        }
        // An anonymous sender where payloads are trusted names itself.
        let anonymous = try await harness.send("startTypingRoom", [["roomID": "1:2", "user": ["userID": 2, "username": "jane"]]])
        #expect(emits(anonymous).first?.args == [["senderID": "2", "senderUsername": "jane", "roomID": "1:2"]])
        func code(_ payload: JSON, user: Identity? = nil, auth: String = "optional") async throws -> String? {
            refusalCode(try await harness.send("startTypingRoom", [payload], user: user, auth: auth, ack: true))
        }
        #expect(try await code(payload, user: Identity(id: "2")) == "FORBIDDEN")
        #expect(try await code(["roomID": "1:2", "user": ["userID": "3"]]) == "FORBIDDEN")
        #expect(try await code(payload, auth: "jwt") == "FORBIDDEN")
        #expect(try await code(["roomID": "1:2"]) == "INVALID_PAYLOAD")
        #expect(try await code(["roomID": 5, "user": ["userID": "1"]]) == "INVALID_PAYLOAD")
        #expect(try await code("1:2") == "INVALID_PAYLOAD")
    }
}
