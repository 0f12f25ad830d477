import Contracts
import ServiceKit
import Testing
@testable import Notification

@Suite struct GroupNotificationTests {
    func note(_ to: JSON, _ message: String = "The client john_doe has added you to the chat") -> JSON {
        ["id": 394, "from": "1", "to": to, "type": "chatGroup", "date": [:] as JSON, "message": .string(message),
         "read": false]
    }

    @Test func createAndAddGoToEachAffectedUserAsEmitsAfterTheCommitAndAckTheIds() async throws {
        for name in ["createUserToGroupNotify", "addUserToGroupNotify"] {
            let h = try await Harness()
            _ = try await h.join("u2", "user:2")
            _ = try await h.join("u3", "user:3")
            let reply = try await h.request(name, ["notifications": [note("2"), note("3"), note("4")]])
            let stored = try h.stored()
            #expect(stored.map(\.recipient) == ["2", "3", "4"])
            #expect(stored.map { $0.deliveredAt != nil } == [true, true, false])
            #expect(reply == [.ack(Ack(sid: "chat-1", args: [["success": true, "ids": .array(stored.map { .int($0.id) })]]))])
            let emitted = h.emitted.withLock { $0 }.compactMap(\.emitted)
            #expect(emitted.map(\.event) == [name, name])
            #expect(emitted.map(\.to) == [Audience(rooms: ["user:2"]), Audience(rooms: ["user:3"])])
            #expect(emitted[0].args == [["id": .int(stored[0].id), "from": "1", "to": "2", "type": "chatGroup",
                                         "date": seedDate, "message": "The client john_doe has added you to the chat",
                                         "read": false]])
            let later = try await h.join("u4", "user:4")
            #expect(later.compactMap(\.emitted).map(\.event) == [name])
        }
    }

    @Test func kickCarriesTheRoomsAroundTheNotification() async throws {
        let h = try await Harness()
        _ = try await h.join("u3", "user:3")
        _ = try await h.request("kickUserFromGroupNotify", [
            "firstRoomID": "1:2", "roomID": "1:2:3:4", "newRoomID": "1:2:4", "kickedUserID": "3",
            "notifications": [note("3", "You've been removed from the group")],
        ])
        let emit = try #require(h.emitted.withLock { $0 }.first?.emitted)
        #expect(emit.event == "kickUserFromGroupNotify" && emit.to == Audience(rooms: ["user:3"]))
        #expect(emit.args[0]["roomID"] == "1:2:3:4" && emit.args[0]["newRoomID"] == "1:2:4")
        #expect(emit.args[0]["kickedUserID"] == "3" && emit.args[0]["firstRoomID"] == nil)
        #expect(emit.args[0]["notification"]?["to"] == "3")
        #expect(emit.args[0]["notification"]?["message"] == "You've been removed from the group")
    }

    @Test func deleteToTheRoomReachesEveryMemberButTheSender() async throws {
        let h = try await Harness()
        _ = try await h.join("u2", "user:2")
        _ = try await h.request("deleteUserRoomNotify", [
            "roomID": "1:2:3", "clientID": "1",
            "notifications": [note("room", "The room has been deleted by john_doe")],
        ])
        #expect(try h.stored().map(\.recipient) == ["2", "3"])
        let emit = try #require(h.emitted.withLock { $0 }.first?.emitted)
        #expect(emit.to == Audience(rooms: ["user:2"]))
        #expect(emit.args[0]["to"] == "room" && emit.args[0]["roomID"] == "1:2:3")
        #expect(try await h.join("u3", "user:3").first?.emitted?.args[0]["roomID"] == "1:2:3")
    }

    @Test func aRequestWithoutReplyToCarriesTheEmitsInItsReply() async throws {
        let h = try await Harness()
        _ = try await h.join("u2", "user:2")
        let reply = try await h.send("addUserToGroupNotify", [["notifications": [note("2")]]], ns: "", ack: true)
        #expect(reply.compactMap(\.emitted).map(\.event) == ["addUserToGroupNotify"])
        #expect(h.emitted.withLock { $0 }.isEmpty)
    }

    @Test func badGroupRequestsAreRefusedInTheAck() async throws {
        let h = try await Harness()
        for payload: JSON in [[:] as JSON, ["notifications": []], ["notifications": [note("room")]],
                              ["notifications": ["x"]], "x"] {
            let reply = try await h.request("createUserToGroupNotify", payload)
            #expect(reply.first?.acked?.args.first?["success"] == false)
            #expect(reply.first?.acked?.args.first?["error"] == "INVALID_PAYLOAD")
        }
        let noRoom = try await h.request("deleteUserRoomNotify", ["notifications": [note("room")]])
        #expect(noRoom.first?.acked?.args.first?["error"] == "INVALID_PAYLOAD")
        #expect(try h.stored().isEmpty)
    }

    @Test func aRequestMayNameItsClientNamespace() async throws {
        let h = try await Harness()
        _ = try await h.join("u2", "user:2", ns: "/ha")
        _ = try await h.request("createUserToGroupNotify", ["ns": "/ha", "notifications": [note("2")]])
        #expect(h.emitted.withLock { $0 }.first?.emitted?.ns == "/ha")
    }
}

@Suite struct ReadTests {
    func created(_ h: Harness) async throws -> Int64 {
        _ = try await h.send("commentNotification", [commentPayload()])
        return try #require(try h.stored().last?.id)
    }

    @Test func theAuthenticatedRecipientMarksItReadAndItIsNotReplayed() async throws {
        let h = try await Harness()
        let id = try await created(h)
        let reply = try await h.send("notification:read", [["id": .int(id)]], user: "2", auth: "jwt", ack: true)
        #expect(reply == [.ack(Ack(sid: "s1", args: [["success": true]]))])
        #expect(try h.stored().first?.readAt != nil)
        #expect(try await h.join("hw", "user:2").isEmpty, "a read notification is not in the backlog")
    }

    @Test func someoneElseIsRefused() async throws {
        let h = try await Harness()
        let id = try await created(h)
        let reply = try await h.send("notification:read", [["id": .int(id)]], user: "3", auth: "jwt", ack: true)
        #expect(reply == [.ack(Ack(sid: "s1", args: [["success": false, "error": "FORBIDDEN"]]))])
        let anonymous = try await h.send("notification:read", [["id": .int(id)]], auth: "jwt", ack: true)
        #expect(anonymous.first?.acked?.args.first?["error"] == "FORBIDDEN")
        #expect(try h.stored().first?.readAt == nil)
    }

    @Test func anAnonymousSocketMayMarkOnlyWhileInTheRecipientsRoom() async throws {
        let h = try await Harness()
        let id = try await created(h)
        let outside = try await h.send("notification:read", [["id": .int(id)]], sid: "anon", ack: true)
        #expect(outside.first?.acked?.args.first?["error"] == "FORBIDDEN")
        _ = try await h.join("anon", "user:2")
        let inside = try await h.send("notification:read", [["id": .string(String(id))]], sid: "anon", ack: true)
        #expect(inside == [.ack(Ack(sid: "anon", args: [["success": true]]))])
    }

    @Test func unknownIdsAndBadPayloads() async throws {
        let h = try await Harness()
        let missing = try await h.send("notification:read", [["id": 999]], user: "2", auth: "jwt", ack: true)
        #expect(missing.first?.acked?.args.first?["error"] == "NOT_FOUND")
        let bad = try await h.send("notification:read", [["id": "x"]], user: "2", auth: "jwt", ack: true)
        #expect(bad.first?.acked?.args.first?["error"] == "INVALID_PAYLOAD")
        let noAck = try await h.send("notification:read", [[:] as JSON], user: "2", auth: "jwt")
        #expect(noAck.first?.emitted?.event == "error")
        #expect(noAck.first?.emitted?.args[0]["code"] == "INVALID_PAYLOAD")
    }
}

@Suite struct RebuildTests {
    @Test func eventsFactsHeldBackUntilTheRebuildAndOccupiedRoomsGetTheirBacklog() async throws {
        let h = try await Harness()
        _ = try await h.send("commentNotification", [commentPayload()]) // user 2 offline
        try h.restart()
        // user 2 joined while the service was down: the snapshot says so.
        _ = try await h.life(.snapshot, ["edge": .string(edgeA), "sockets": [
            ["sid": "hw", "ns": "/", "rooms": ["hw", "user:2"]],
            ["sid": "x", "ns": "/", "rooms": ["x"]],
        ]])
        #expect(try await h.join("u5", "user:5").isEmpty, "held back while starting")
        let replay = try await h.finishStart()
        #expect(replay.compactMap(\.emitted).map(\.event) == ["privateCommentNotify", "newCommentChange"])
        #expect(replay.compactMap(\.emitted).allSatisfy { $0.to == Audience(rooms: ["user:2"]) })
        #expect(h.book.isOccupied(UserRoom(ns: "/", user: "5")), "a held-back fact applies after the rebuild")
        #expect(try await h.join("hw2", "user:2").isEmpty)
        #expect(try await h.send("ratingNotification", [ratingPayload()]).count == 1, "user 2 is online")
    }

    @Test func aStoredReplyIsNotRedoneAndIdsSurviveARestart() async throws {
        let h = try await Harness()
        _ = try await h.send("commentNotification", [commentPayload()])
        try h.restart()
        _ = try await h.finishStart()
        _ = try await h.send("commentNotification", [commentPayload()])
        #expect(try h.stored().map(\.id) == [1, 2])
    }

    @Test func anEdgeThatGoesSilentTakesItsSocketsOffline() async throws {
        let h = try await Harness()
        _ = try await h.join("a", "user:2", edge: "edge-bbbbbb")
        _ = try await h.mirrored(h.mirror.gone("edge-bbbbbb"))
        #expect(!h.book.isOccupied(UserRoom(ns: "/", user: "2")))
    }

    @Test func aSnapshotOfAnEdgeComingBackDeliversTheBacklogOfItsRooms() async throws {
        let h = try await Harness()
        _ = try await h.send("commentNotification", [commentPayload()])
        let replay = try await h.life(.snapshot, ["edge": "edge-cccccc", "sockets": [["sid": "hw", "ns": "/", "rooms": ["user:2"]]]],
                                      edge: "edge-cccccc")
        #expect(replay.compactMap(\.emitted).map(\.event) == ["privateCommentNotify", "newCommentChange"])
    }
}

@Suite struct RequestParsingTests {
    @Test func roomMembers() {
        #expect(NotificationRequests.roomMembers("1:2:3") == ["1", "2", "3"])
        #expect(NotificationRequests.roomMembers("room:1:5") == ["1", "5"])
        #expect(NotificationRequests.roomMembers("") == [])
    }
}
