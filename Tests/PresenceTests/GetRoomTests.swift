import Contracts
import Presence
import Testing

/// Audio rooms (seed 000): `user:getRoom {userId}` acknowledged with `{roomId}`.
@Suite struct GetRoomTests {
    /// The acknowledgement `user:getRoom {userId: id}` gets.
    func ask(_ state: PresenceState, _ id: JSON, ns: String = "/") -> [JSON]? {
        state.getRoom(event("user:getRoom", [["userId": id]], sid: "asker", identity: "1", requiresAuth: true,
                            ack: true, ns: ns)).ack
    }

    @Test func appsAreApartAChattoRoomIsNoAudioRoom() throws {
        // docs/edge.md "Apps": the edge names each app's namespace (`chatto/`, `audio/`).
        var state = PresenceState()
        try state.connect("c1", user: "42", ns: "chatto/")
        try state.join("c1", "chatto:64a1a0c1e4b0c1d2e3f40001", ns: "chatto/")
        #expect(ask(state, 42, ns: "audio/") == [["roomId": nil]])
        try state.connect("a1", user: "42", ns: "audio/")
        try state.join("a1", "stage", ns: "audio/")
        #expect(ask(state, 42, ns: "audio/") == [["roomId": "stage"]])
        #expect(ask(state, 42, ns: "chatto/") == [["roomId": "chatto:64a1a0c1e4b0c1d2e3f40001"]])
    }

    @Test func eachContractIsAnsweredOnItsOwnAppsNamespace() {
        let routes = Set(PresenceService.definition().handlers.keys)
        #expect(routes.isSuperset(of: [Route(ns: "/", event: "user:getRoom"), Route(ns: "audio/", event: "user:getRoom"),
                                        Route(ns: "homeassistant/", event: "addOnlineUser"), Route(ns: "/", event: "addOnlineUser")]))
        #expect(!routes.contains(Route(ns: "homeassistant/", event: "user:getRoom")))
        #expect(!routes.contains(Route(ns: "audio/", event: "addOnlineUser")))
        #expect(!routes.contains(Route(ns: "chatto/", event: "user:getRoom")))
    }

    @Test func aUserWithoutSocketsIsInNoRoom() {
        #expect(ask(PresenceState(), 42) == [["roomId": nil]])
    }

    @Test func theRoomHasTheSeedsExactShape() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "r-abc")
        let request = event("user:getRoom", [["userId": 42]], sid: "asker", ack: true)
        #expect(try wire(state.getRoom(request).reply(to: request))
            == #"[{"args":[{"roomId":"r-abc"}],"op":"ack","sid":"asker"}]"#)
        #expect(try wire(PresenceState().getRoom(request).reply(to: request))
            == #"[{"args":[{"roomId":null}],"op":"ack","sid":"asker"}]"#)
    }

    @Test func theMostRecentRoomWinsAndLeavingFallsBack() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "abc")
        #expect(ask(state, 42) == [["roomId": "abc"]])
        try state.join("s1", "def")
        #expect(ask(state, 42) == [["roomId": "def"]])
        try state.leave("s1", "def")
        #expect(ask(state, 42) == [["roomId": "abc"]])
        try state.leave("s1", "abc")
        #expect(ask(state, 42) == [["roomId": nil]])
    }

    @Test func rejoiningMakesARoomRecentAgain() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "abc")
        try state.join("s1", "def")
        try state.leave("s1", "abc")
        try state.join("s1", "abc")
        #expect(ask(state, 42) == [["roomId": "abc"]])
    }

    @Test func severalSocketsAreOneUser() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.connect("s2", user: "42", edge: edgeB)
        try state.join("s1", "r1")
        try state.join("s2", "r2", edge: edgeB)
        #expect(ask(state, 42) == [["roomId": "r2"]])
        try state.disconnect("s2", edge: edgeB, rooms: ["r2"])
        #expect(ask(state, 42) == [["roomId": "r1"]])
        try state.disconnect("s1", rooms: ["r1"])
        #expect(ask(state, 42) == [["roomId": nil]])
    }

    @Test func systemRoomsDoNotCount() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "r1")
        for room in ["user:42", "server:1", "channel:2", "room:1:2", "presence:online:42"] {
            try state.join("s1", room)
        }
        #expect(ask(state, 42) == [["roomId": "r1"]])
        try state.leave("s1", "r1")
        #expect(ask(state, 42) == [["roomId": nil]])
    }

    @Test func systemPrefixesCanBeChosen() throws {
        var state = PresenceState(systemRoomPrefixes: ["lobby"])
        try state.connect("s1", user: "42")
        try state.join("s1", "room:7")
        try state.join("s1", "lobby")
        #expect(ask(state, 42) == [["roomId": "room:7"]])
    }

    @Test func onlyTheAskersNamespaceCounts() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42", ns: "/chatto")
        try state.join("s1", "general", ns: "/chatto")
        #expect(ask(state, 42) == [["roomId": nil]])
        #expect(ask(state, 42, ns: "/chatto") == [["roomId": "general"]])
    }

    @Test func anIntegralFloatingPointIdIsANumber() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "abc")
        #expect(ask(state, 42.0) == [["roomId": "abc"]])
    }

    @Test(arguments: [[], [42], ["42"], [[:]], [["userId": "42"]], [["userId": 4.5]], [["userId": nil]],
                      [["userId": true]], [["user_id": 42]]] as [[JSON]])
    func anInvalidPayloadIsAcknowledgedWithTheError(args: [JSON]) {
        let outcome = PresenceState().getRoom(event("user:getRoom", args, ack: true))
        #expect(outcome.ack == [["roomId": nil, "error": "INVALID_PAYLOAD"]])
        #expect(outcome.instructions.isEmpty)
    }

    @Test func noAckIsSentWhenNoneWasAsked() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "abc")
        let request = event("user:getRoom", [["userId": 42]], sid: "asker", ack: false)
        #expect(state.getRoom(request).reply(to: request) == [])
    }

    @Test func anInternalFailureHasTheSeedsShape() throws {
        let request = event("user:getRoom", [["userId": 42]], sid: "asker", ack: true)
        #expect(try wire(EventOutcome.getRoomFailure.reply(to: request))
            == #"[{"args":[{"error":"INTERNAL_ERROR","roomId":null}],"op":"ack","sid":"asker"}]"#)
    }

    @Test func askingThroughHandleGivesTheSameAck() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        try state.join("s1", "abc")
        let request = event("user:getRoom", [["userId": 42]], sid: "asker", ack: true)
        #expect(state.handle(request)?.reply(to: request) == [.ack(Ack(sid: "asker", args: [["roomId": "abc"]]))])
    }
}
