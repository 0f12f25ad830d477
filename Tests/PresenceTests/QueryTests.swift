import Contracts
import Presence
import Testing

/// The bus queries other services send: `isOnline {userId}` and `online {userIds}`.
@Suite struct QueryTests {
    /// User 1 authenticated on edge A, user 7 announced anonymously on edge B.
    func state() throws -> PresenceState {
        var state = PresenceState()
        try state.connect("s1", user: "1")
        try state.connect("s7", edge: edgeB)
        _ = state.addOnlineUser("7", sid: "s7", edge: edgeB)
        return state
    }

    @Test func isOnlineAcceptsStringAndIntegerIds() throws {
        let state = try state()
        #expect(state.answerIsOnline(["userId": "1"]) == ["online": true])
        #expect(state.answerIsOnline(["userId": 7]) == ["online": true])
        #expect(state.answerIsOnline(["userId": 2]) == ["online": false])
    }

    @Test(arguments: [nil, [:], ["userId": ""], ["userId": [1]], "1"] as [JSON?])
    func isOnlineRefusesABadRequest(request: JSON?) throws {
        #expect(try state().answerIsOnline(request) == ["error": "INVALID_PAYLOAD"])
    }

    @Test func onlineAnswersTheOnlineSubsetInRequestOrder() throws {
        let state = try state()
        #expect(state.answerOnline(["userIds": [7, "2", "1", "7", 1]]) == ["online": [7, "1"]])
        #expect(state.answerOnline(["userIds": []]) == ["online": []])
    }

    @Test(arguments: [nil, [:], ["userIds": "1"], ["userIds": ["1", nil]], ["userIds": [true]]] as [JSON?])
    func onlineRefusesABadRequest(request: JSON?) throws {
        #expect(try state().answerOnline(request) == ["error": "INVALID_PAYLOAD"])
    }

    @Test func queriesFollowDisconnects() throws {
        var state = try state()
        try state.disconnect("s1")
        #expect(state.answerIsOnline(["userId": "1"]) == ["online": false])
        #expect(state.answerOnline(["userIds": ["1", "7"]]) == ["online": ["7"]])
    }

    @Test func handleAnswersQueriesWithAnAck() throws {
        var state = try state()
        let request = event("isOnline", [["userId": "1"]], sid: "svc", ack: true)
        #expect(state.handle(request)?.reply(to: request) == [.ack(Ack(sid: "svc", args: [["online": true]]))])
        let many = event("online", [["userIds": ["1", "9"]]], sid: "svc", ack: true)
        #expect(state.handle(many)?.ack == [["online": ["1"]]])
    }

    @Test func handleIgnoresEventsItDoesNotKnow() throws {
        var state = try state()
        #expect(state.handle(event("message:create", [])) == nil)
        #expect(PresenceEvent.allCases.map(\.rawValue)
            == ["addOnlineUser", "joinRoom", "leaveRoom", "user:getRoom", "isOnline", "online"])
    }

    @Test func handleDispatchesTheHomeAssistantEvents() throws {
        var state = try state()
        try state.connect("s9")
        #expect(state.handle(event("addOnlineUser", [["userID": "9"]], sid: "s9"))?.instructions
            == [joinOf(["presence:online:9"], sid: "s9"), newOnlineUser("Add", "9")])
        #expect(state.handle(event("joinRoom", ["9"], sid: "s9"))?.instructions == [joinOf(["user:9"], sid: "s9")])
        #expect(state.handle(event("leaveRoom", ["9"], sid: "s9"))?.instructions == [leaveOf(["user:9"], sid: "s9")])
    }
}
