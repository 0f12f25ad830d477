import Contracts
import Testing
@testable import Notification

@Suite struct ClientNotificationTests {
    @Test func commentToAnOnlineHouseworkerGoesToTheirRoomWithTheServicesIdAndDate() async throws {
        let h = try await Harness()
        _ = try await h.join("hw", "user:2")
        let reply = try await h.send("commentNotification", [commentPayload()], ack: true)
        let stored = try #require(try h.stored().first)
        #expect(stored.recipient == "2" && stored.sender == "1" && stored.deliveredAt != nil)
        let notification: JSON = ["id": .int(stored.id), "from": "1", "to": "2", "type": "comment", "date": seedDate,
                                  "message": "You've got comment from john_doe", "read": false]
        #expect(reply == [
            .emit(Emit(ns: "/", event: "privateCommentNotify",
                       args: [["newComment": newComment, "notificationObj": notification]],
                       to: Audience(rooms: ["user:2"]))),
            .emit(Emit(ns: "/", event: "newCommentChange", args: [newComment], to: Audience(rooms: ["user:2"]))),
            .ack(Ack(sid: "s1", args: [["success": true, "id": .int(stored.id)]])),
        ])
        #expect(stored.id != 388, "a client-sent id is not trusted")
    }

    @Test func ratingGoesToTheHouseworkersRoomOnlyUnderTheSeedsEventName() async throws {
        let h = try await Harness()
        _ = try await h.join("hw", "user:2")
        let reply = try await h.send("ratingNotification", [ratingPayload()])
        let id = try #require(try h.stored().first?.id)
        #expect(reply.count == 1)
        let emit = try #require(reply[0].emitted)
        #expect(emit.event == "privateRatingNotify-2")
        #expect(emit.to == Audience(rooms: ["user:2"]))
        #expect(emit.args[0]["rating"] == 5 && emit.args[0]["client"] == "john_doe")
        #expect(emit.args[0]["notification"]?["id"] == .int(id))
        #expect(emit.args[0]["notification"]?["date"] == seedDate)
    }

    @Test func anOfflineHouseworkerGetsNothingNowAndTheBacklogOnJoinOnceInOrder() async throws {
        let h = try await Harness()
        #expect(try await h.send("commentNotification", [commentPayload()]).isEmpty)
        #expect(try await h.send("ratingNotification", [ratingPayload()]).isEmpty)
        #expect(try h.stored().allSatisfy { $0.deliveredAt == nil })
        let replay = try await h.join("tab1", "user:2")
        #expect(replay.compactMap(\.emitted).map(\.event) == ["privateCommentNotify", "newCommentChange",
                                                             "privateRatingNotify-2"])
        #expect(replay.compactMap(\.emitted).allSatisfy { $0.to == Audience(sids: ["tab1"]) })
        #expect(try await h.join("tab2", "user:2").isEmpty, "a second tab does not get it again")
        _ = try await h.disconnect("tab1")
        _ = try await h.disconnect("tab2")
        #expect(try await h.join("tab3", "user:2").isEmpty, "nor a later reconnect")
    }

    @Test func aUserWhoseSocketsAllLeftIsOfflineAgain() async throws {
        let h = try await Harness()
        _ = try await h.join("a", "user:2")
        _ = try await h.leave("a", "user:2")
        #expect(try await h.send("commentNotification", [commentPayload()]).isEmpty)
        #expect(try await h.join("b", "user:2").count == 2, "the first comment is replayed to b")
        _ = try await h.disconnect("b")
        #expect(try await h.send("commentNotification", [commentPayload()]).isEmpty)
        #expect(try h.stored().filter { $0.deliveredAt == nil }.count == 1)
    }

    @Test func otherNamespacesAndOtherRoomsDoNotCount() async throws {
        let h = try await Harness()
        _ = try await h.join("a", "user:2", ns: "/other")
        _ = try await h.join("b", "room:1:2")
        #expect(try await h.send("commentNotification", [commentPayload()]).isEmpty)
    }

    @Test func anAuthenticatedSenderMustBeTheNotificationsFrom() async throws {
        let h = try await Harness()
        let reply = try await h.send("commentNotification", [commentPayload(from: "1")], user: "66", auth: "jwt",
                                     ack: true)
        let error = try #require(reply.first?.emitted)
        #expect(error.event == "error" && error.to == Audience(sids: ["s1"]))
        #expect(error.args[0]["code"] == "FORBIDDEN")
        #expect(error.args[0]["timestamp"] == "2025-10-25T14:30:00.000Z")
        #expect(error.args[0]["error"]?.stringValue != nil)
        #expect(reply.last?.acked?.args == [["success": false, "error": "FORBIDDEN"]])
        let rating = try await h.send("ratingNotification", [ratingPayload(from: "1")], user: "66", auth: "session")
        #expect(rating.first?.emitted?.args[0]["code"] == "FORBIDDEN")
        #expect(try h.stored().isEmpty)
    }

    @Test func theAuthenticatedIdentityIsTheSenderAndAnAbsentFromIsFilledIn() async throws {
        let h = try await Harness()
        _ = try await h.join("hw", "user:2")
        var payload = ratingPayload()
        if case .object(var object) = payload, case .object(var notification)? = object["notification"] {
            notification["from"] = nil
            object["notification"] = .object(notification)
            payload = .object(object)
        }
        let reply = try await h.send("ratingNotification", [payload], user: "1", auth: "jwt")
        #expect(reply.first?.emitted?.args[0]["notification"]?["from"] == "1")
        #expect(try h.stored().first?.sender == "1")
    }

    @Test func anAnonymousSocketIsRefusedWhereTheNamespaceAuthenticatesAndTrustedWhereItDoesNot() async throws {
        let h = try await Harness()
        let refused = try await h.send("commentNotification", [commentPayload()], auth: "jwt")
        #expect(refused.first?.emitted?.args[0]["code"] == "FORBIDDEN")
        #expect(try await h.send("commentNotification", [commentPayload()], auth: "none").isEmpty)
        #expect(try await h.send("commentNotification", [commentPayload()], auth: "optional").isEmpty)
        #expect(try h.stored().map(\.sender) == ["1", "1"])
    }

    @Test func invalidPayloadsAreRefusedWithTheContractsErrorAndStoreNothing() async throws {
        let h = try await Harness()
        let bad: [JSON] = [
            "text", ["newComment": newComment],
            ["newComment": ["comment": "x"], "notificationObj": [:] as JSON],
            commentPayload(to: "3"),
        ]
        for payload in bad {
            let reply = try await h.send("commentNotification", [payload])
            #expect(reply.first?.emitted?.args[0]["code"] == "INVALID_PAYLOAD", "\(payload)")
        }
        #expect(try await h.send("commentNotification", []).first?.emitted?.args[0]["code"] == "INVALID_PAYLOAD")
        for payload: JSON in [["houseworkerID": "2"], ["notification": [:] as JSON]] {
            let reply = try await h.send("ratingNotification", [payload])
            #expect(reply.first?.emitted?.args[0]["code"] == "INVALID_PAYLOAD")
        }
        #expect(try h.stored().isEmpty)
    }

    @Test func integerHouseworkerIdsAreTheirText() async throws {
        let h = try await Harness()
        _ = try await h.join("hw", "user:2")
        var payload = ratingPayload()
        if case .object(var object) = payload { object["houseworkerID"] = 2; payload = .object(object) }
        let reply = try await h.send("ratingNotification", [payload])
        #expect(reply.first?.emitted?.event == "privateRatingNotify-2")
    }
}
