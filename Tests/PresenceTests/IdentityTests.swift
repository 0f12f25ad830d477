import Contracts
import Presence
import Testing

/// Who may announce and join which id: authenticated sockets only their own, anonymous ones
/// anything where the namespace does not require authentication.
@Suite struct IdentityTests {
    @Test func anAuthenticatedSocketMayAnnounceItsOwnId() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        let outcome = state.addOnlineUser("42", sid: "s1", identity: "42", requiresAuth: true)
        #expect(outcome.instructions == [joinOf(["presence:online:42"], sid: "s1"), newOnlineUser("Add", "42")])
    }

    @Test func anAuthenticatedSocketMayNotAnnounceSomebodyElse() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        let outcome = state.addOnlineUser("43", sid: "s1", identity: "42", requiresAuth: true)
        let refused = try #require(refusal(outcome.instructions))
        #expect(refused.code == "FORBIDDEN")
        #expect(refused.sid == "s1")
        #expect(state.announcedUsers(in: "/").isEmpty)
        #expect(!state.isOnline("43"))
    }

    @Test func theRefusalHasTheSeedsErrorFormat() throws {
        var state = PresenceState()
        let outcome = state.addOnlineUser("43", sid: "s1", identity: "42", requiresAuth: true)
        guard case .emit(let emit) = try #require(outcome.instructions.first) else {
            Issue.record("not an emit")
            return
        }
        #expect(emit.event == "error")
        #expect(emit.to == Audience(sids: ["s1"]))
        #expect(emit.args.first?.objectValue?.keys.sorted() == ["code", "error", "timestamp"])
    }

    @Test func aRefusalIsAcknowledgedWithItsCodeAndASuccessLeavesTheAckToTheRuntime() {
        let state = PresenceState()
        let refused = event("joinRoom", ["43"], identity: "42", requiresAuth: true, ack: true)
        let reply = state.joinRoom(refused).reply(to: refused)
        #expect(reply.last == .ack(Ack(sid: "s1", args: [["success": false, "error": "FORBIDDEN"]])))
        let invalid = event("leaveRoom", [["not": "an id"]], ack: true)
        #expect(state.leaveRoom(invalid).reply(to: invalid).last
            == .ack(Ack(sid: "s1", args: [["success": false, "error": "INVALID_PAYLOAD"]])))
        let allowed = event("joinRoom", ["42"], identity: "42", requiresAuth: true, ack: true)
        #expect(state.joinRoom(allowed).reply(to: allowed) == [joinOf(["user:42"], sid: "s1")])
    }

    @Test func anAuthenticatedSocketMayOnlyJoinAndLeaveItsOwnRoom() {
        let state = PresenceState()
        let own = event("joinRoom", ["42"], identity: "42", requiresAuth: true)
        #expect(state.joinRoom(own).instructions == [joinOf(["user:42"], sid: "s1")])
        let other = event("joinRoom", ["43"], identity: "42", requiresAuth: true)
        #expect(refusal(state.joinRoom(other).instructions)?.code == "FORBIDDEN")
        let leaveOther = event("leaveRoom", ["43"], identity: "42", requiresAuth: true)
        #expect(refusal(state.leaveRoom(leaveOther).instructions)?.code == "FORBIDDEN")
    }

    @Test func anAnonymousSocketOnAnAuthenticatingNamespaceIsRefused() {
        var state = PresenceState()
        #expect(refusal(state.addOnlineUser("42", sid: "s1", requiresAuth: true).instructions)?.code == "FORBIDDEN")
        #expect(refusal(state.joinRoom(event("joinRoom", ["42"], requiresAuth: true)).instructions)?.code == "FORBIDDEN")
    }

    @Test func anAnonymousSocketOnAnAuthNoneNamespaceIsTrusted() throws {
        var state = PresenceState()
        try state.connect("s1")
        #expect(state.addOnlineUser("99", sid: "s1").instructions.last == newOnlineUser("Add", "99"))
        #expect(state.joinRoom(event("joinRoom", ["99"])).instructions == [joinOf(["user:99"], sid: "s1")])
    }

    @Test func onAnOptionalNamespaceAnAuthenticatedSocketIsStillHeldToItsId() throws {
        var state = PresenceState()
        try state.connect("s1", user: "42")
        #expect(refusal(state.addOnlineUser("43", sid: "s1", identity: "42").instructions)?.code == "FORBIDDEN")
    }

    @Test func anAuthenticatedSocketIsOnlineWithoutAnnouncingButNobodyIsTold() throws {
        var state = PresenceState()
        #expect(try state.connect("s1", user: "42") == [])
        #expect(state.isOnline("42"))
        #expect(state.announcedUsers(in: "/").isEmpty)
        #expect(try state.disconnect("s1") == [])
        #expect(!state.isOnline("42"))
    }

    @Test func anIdentityGivenAsAnIntegerIsItsDecimalText() throws {
        var state = PresenceState()
        _ = try state.apply(kind: .connected, fact: ["sid": "s1", "ns": "/", "user": ["id": 42]], edge: edgeA)
        #expect(state.isOnline("42"))
    }

    @Test func aMalformedFactIsReported() {
        var state = PresenceState()
        #expect(throws: LifeRecord.Malformed(member: "room")) {
            try state.apply(kind: .joined, fact: ["sid": "s1", "ns": "/"], edge: edgeA)
        }
        #expect(throws: LifeRecord.Malformed(member: "user")) {
            try state.apply(kind: .connected, fact: ["sid": "s1", "user": ["name": "Ada"]], edge: edgeA)
        }
    }
}
