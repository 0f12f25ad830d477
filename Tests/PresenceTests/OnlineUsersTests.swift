import Contracts
import Presence
import Testing

/// HomeAssistant (seed 003): `addOnlineUser`, `newOnlineUser` Add/Remove, `joinRoom`/`leaveRoom`,
/// on an auth `none` namespace where payloads are trusted.
@Suite struct OnlineUsersTests {
    @Test func addOnlineUserJoinsTheMarkerAndTellsEveryClient() throws {
        var state = PresenceState()
        try state.connect("s1")
        let outcome = state.addOnlineUser("123", sid: "s1")
        #expect(outcome.instructions == [joinOf(["presence:online:123"], sid: "s1"), newOnlineUser("Add", "123")])
        #expect(outcome.ack == nil)
        #expect(state.announcedUsers(in: "/") == ["123"])
        #expect(state.isOnline("123"))
    }

    @Test func addGoesToEveryClientOfTheNamespaceSenderIncluded() throws {
        var state = PresenceState()
        try state.connect("s1")
        let outcome = state.addOnlineUser("123", sid: "s1")
        #expect(try wire([outcome.instructions[1]])
            == #"[{"args":[{"type":"Add","userID":"123"}],"event":"newOnlineUser","ns":"/","op":"emit","to":{"all":true}}]"#)
    }

    @Test func aSecondTabDoesNotAnnounceTheUserAgain() throws {
        var state = PresenceState()
        try state.connect("s1")
        try state.connect("s2")
        _ = state.addOnlineUser("123", sid: "s1")
        let second = state.addOnlineUser("123", sid: "s2")
        #expect(second.instructions == [joinOf(["presence:online:123"], sid: "s2")])
    }

    @Test func aRepeatedAnnouncementFromTheSameSocketChangesNothing() throws {
        var state = PresenceState()
        try state.connect("s1")
        _ = state.addOnlineUser("123", sid: "s1")
        #expect(state.addOnlineUser("123", sid: "s1").instructions == [joinOf(["presence:online:123"], sid: "s1")])
        #expect(try state.join("s1", "presence:online:123") == [])
    }

    @Test func offlineOnlyWhenTheLastSocketCloses() throws {
        var state = PresenceState()
        try state.connect("s1")
        try state.connect("s2", edge: edgeB)
        _ = state.addOnlineUser("123", sid: "s1")
        _ = state.addOnlineUser("123", sid: "s2", edge: edgeB)
        #expect(try state.disconnect("s1", rooms: ["presence:online:123"]) == [])
        #expect(state.isOnline("123"))
        #expect(try state.disconnect("s2", edge: edgeB, rooms: ["presence:online:123"]) == [newOnlineUser("Remove", "123")])
        #expect(!state.isOnline("123"))
        #expect(state.announcedUsers(in: "/").isEmpty)
    }

    @Test func removeHasTheSeedsExactShape() throws {
        var state = PresenceState()
        try state.connect("s1")
        _ = state.addOnlineUser("123", sid: "s1")
        #expect(try wire(try state.disconnect("s1"))
            == #"[{"args":[{"type":"Remove","userID":"123"}],"event":"newOnlineUser","ns":"/","op":"emit","to":{"all":true}}]"#)
    }

    @Test func leavingTheMarkerRoomTakesTheUserOffline() throws {
        var state = PresenceState()
        try state.connect("s1")
        _ = state.addOnlineUser("123", sid: "s1")
        #expect(try state.leave("s1", "presence:online:123") == [newOnlineUser("Remove", "123")])
        #expect(try state.leave("s1", "presence:online:123") == [])
    }

    @Test func reannouncingAnotherUserSwapsThem() throws {
        var state = PresenceState()
        try state.connect("s1")
        _ = state.addOnlineUser("123", sid: "s1")
        let outcome = state.addOnlineUser("456", sid: "s1")
        #expect(outcome.instructions == [
            leaveOf(["presence:online:123"], sid: "s1"), joinOf(["presence:online:456"], sid: "s1"),
            newOnlineUser("Remove", "123"), newOnlineUser("Add", "456"),
        ])
        #expect(state.announcedUsers(in: "/") == ["456"])
        #expect(!state.isOnline("123"))
    }

    @Test func aNumericUserIDIsTakenAsItsText() throws {
        var state = PresenceState()
        try state.connect("s1")
        let outcome = state.addOnlineUser(123, sid: "s1")
        #expect(outcome.instructions == [joinOf(["presence:online:123"], sid: "s1"), newOnlineUser("Add", "123")])
    }

    @Test(arguments: [[], ["123"], [["userUsername": "john_doe"]], [["userID": ""]], [["userID": true]]] as [[JSON]])
    func anInvalidAnnouncementIsRefusedAndChangesNothing(args: [JSON]) throws {
        var state = PresenceState()
        try state.connect("s1")
        let before = state
        let outcome = state.addOnlineUser(event("addOnlineUser", args, sid: "s1"))
        let refused = try #require(refusal(outcome.instructions))
        #expect(refused.sid == "s1")
        #expect(refused.code == "INVALID_PAYLOAD")
        #expect(refused.payload["timestamp"] == "2025-10-25T14:30:00.000Z")
        #expect(refused.payload["error"]?.stringValue != nil)
        #expect(state.announcedUsers(in: "/") == before.announcedUsers(in: "/"))
    }

    @Test func anAnnouncementBeforeTheConnectedFactWaitsForTheJoinedFact() throws {
        var state = PresenceState()
        #expect(state.addOnlineUser("123", sid: "s1").instructions == [joinOf(["presence:online:123"], sid: "s1")])
        #expect(state.socketCount == 0)
        #expect(try state.join("s1", "presence:online:123") == [newOnlineUser("Add", "123")])
        #expect(try state.connect("s1") == [])
        #expect(state.announcedUsers(in: "/") == ["123"])
    }

    @Test func addAndRemoveStayInTheirNamespace() throws {
        var state = PresenceState()
        try state.connect("s1", ns: "/home")
        #expect(state.addOnlineUser("7", sid: "s1", ns: "/home").instructions.last == newOnlineUser("Add", "7", ns: "/home"))
        #expect(state.announcedUsers(in: "/").isEmpty)
        #expect(try state.disconnect("s1", ns: "/home") == [newOnlineUser("Remove", "7", ns: "/home")])
    }

    @Test func joinRoomAndLeaveRoomUseThePersonalRoom() throws {
        var state = PresenceState()
        try state.connect("s1")
        #expect(state.joinRoom(event("joinRoom", ["123"], sid: "s1")).instructions == [joinOf(["user:123"], sid: "s1")])
        #expect(state.leaveRoom(event("leaveRoom", ["123"], sid: "s1")).instructions == [leaveOf(["user:123"], sid: "s1")])
        #expect(state.joinRoom(event("joinRoom", [123], sid: "s1")).instructions == [joinOf(["user:123"], sid: "s1")])
    }

    @Test(arguments: [[], [["userID": "123"]], [""], [nil]] as [[JSON]])
    func anInvalidRoomIdIsRefused(args: [JSON]) throws {
        let state = PresenceState()
        for name in ["joinRoom", "leaveRoom"] {
            var copy = state
            let handled = copy.handle(event(name, args, sid: "s1"))
            let outcome = try #require(handled)
            #expect(refusal(outcome.instructions)?.code == "INVALID_PAYLOAD")
        }
    }

    @Test func joiningThePersonalRoomDoesNotAnnounceAnybody() throws {
        var state = PresenceState()
        try state.connect("s1")
        #expect(try state.join("s1", "user:123") == [])
        #expect(!state.isOnline("123"))
    }
}
