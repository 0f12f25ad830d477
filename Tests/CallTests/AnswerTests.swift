import Contracts
import Testing
@testable import Call

/// `call:accept`, `call:reject`, `call:cancel`, `call:end`, and who may send them.
@Suite struct AnswerTests {
    /// A harness with call c1 from u1 to t1 ringing since `t0`.
    static func ringing() -> Harness {
        var h = Harness()
        h.initiate()
        return h
    }

    /// A harness with call c1 accepted at `t0 + 5 s`.
    static func accepted() -> Harness {
        var h = ringing()
        h.now += 5_000
        h.send(telecallerSocket("t1"), "call:accept", callPayload("c1"))
        return h
    }

    /// Accept sends each side its own token and makes the call ACCEPTED, owned by that socket.
    @Test func accept() {
        var h = Self.ringing()
        h.now += 5_000
        let tab = telecallerSocket("t1", "st-tab2")
        h.connect(tab)
        let outcome = h.send(tab, "call:accept", callPayload("c1"))
        #expect(outcome.instructions == [
            toUser("u1", "call:accepted", ["callId": "c1", "livekit": [
                "token": "tok|user:u1|Ann|c1", "url": "ws://localhost:7880", "roomName": "c1"]]),
            toTelecaller("t1", "call:accepted", [
                "callId": "c1", "callType": "AUDIO", "caller": ["_id": "u1", "name": "Ann", "profile": "avatar-1"],
                "livekit": ["token": "tok|telecaller:t1|Jane|c1", "url": "ws://localhost:7880", "roomName": "c1"]]),
        ])
        let call = h.book.calls["c1"]
        #expect(call?.status == .accepted)
        #expect(call?.acceptedAt == t0 + 5_000)
        #expect(call?.telecallerSid == "st-tab2")
        #expect(outcome.effects == [.store(call!)])
    }

    /// Reject tells the user, ends the call and frees the telecaller.
    @Test func reject() {
        var h = Self.ringing()
        h.now += 2_000
        let outcome = h.send(telecallerSocket("t1"), "call:reject", callPayload("c1"))
        let call = h.book.calls["c1"]!
        #expect(outcome.instructions == [toUser("u1", "call:rejected", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(outcome.effects == [.store(call)])
        #expect(call.status == .rejected && call.endReason == .rejected && call.endedAt == t0 + 2_000)
        #expect(h.book.nextDeadline == nil)
    }

    /// Cancel (from any of the user's sockets) tells the telecaller; only while RINGING.
    @Test func cancel() {
        var h = Self.ringing()
        let tab = userSocket("u1", "su-tab2")
        h.connect(tab)
        let outcome = h.send(tab, "call:cancel", callPayload("c1"))
        #expect(outcome.instructions == [toTelecaller("t1", "call:cancelled", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(h.book.calls["c1"]?.status == .cancelled)
        #expect(h.send(tab, "call:cancel", callPayload("c1")).errors == ["This call is no longer ringing."])
        var a = Self.accepted()
        #expect(a.send(userSocket("u1"), "call:cancel", callPayload("c1")).errors == ["This call is no longer ringing."])
        #expect(a.book.calls["c1"]?.status == .accepted)
    }

    /// End by the user: COMPLETED, billed, `call:ended` to the telecaller only, room deleted.
    @Test func endByUser() {
        var h = Self.accepted()
        h.now += 61_000
        let outcome = h.send(userSocket("u1"), "call:end", callPayload("c1"))
        let call = h.book.calls["c1"]!
        #expect(outcome.instructions == [toTelecaller("t1", "call:ended", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(outcome.effects == [.store(call), .debit(userId: "u1", coins: 20), .deleteRoom("c1")])
        #expect(call.status == .completed && call.endReason == .endedByUser)
        #expect(call.durationSeconds == 61 && call.coins == 20 && call.endedAt == t0 + 66_000)
        #expect(h.book.users["u1"]?.coinBalance == 980)
    }

    /// End by the telecaller: `call:ended` to the user only.
    @Test func endByTelecaller() {
        var h = Self.accepted()
        h.now += 30_000
        let outcome = h.send(telecallerSocket("t1"), "call:end", callPayload("c1"))
        #expect(outcome.emits.first == Emit(ns: "/user", event: "call:ended", args: [callPayload("c1")],
                                             to: Audience(users: ["u1"])))
        #expect(h.book.calls["c1"]?.endReason == .endedByTelecaller)
        #expect(h.book.calls["c1"]?.coins == 10)
    }

    /// Acting on a call in the wrong status is refused and changes nothing.
    @Test func wrongStatus() {
        var h = Self.ringing()
        #expect(h.send(userSocket("u1"), "call:end", callPayload("c1")).errors == ["This call is not in progress."])
        var a = Self.accepted()
        let before = a.book.calls
        #expect(a.send(telecallerSocket("t1"), "call:accept", callPayload("c1")).errors
            == ["This call is no longer ringing."])
        #expect(a.send(telecallerSocket("t1"), "call:reject", callPayload("c1")).errors
            == ["This call is no longer ringing."])
        #expect(a.book.calls == before)
        a.send(userSocket("u1"), "call:end", callPayload("c1"))
        #expect(a.send(telecallerSocket("t1"), "call:end", callPayload("c1")).errors == ["This call is not in progress."])
    }

    /// Unknown ids and bad payloads are refused on every call event.
    @Test(arguments: [("/user", "call:cancel"), ("/user", "call:end"), ("/telecaller", "call:accept"),
                      ("/telecaller", "call:reject"), ("/telecaller", "call:end")])
    func unknownAndInvalid(ns: String, event: String) {
        var h = Self.ringing()
        let socket = ns == "/user" ? userSocket("u1") : telecallerSocket("t1")
        #expect(h.send(socket, event, callPayload("nope")).instructions == [callError(socket, "Call not found.")])
        #expect(h.send(socket, event, ["callId": 7]).errors == ["Invalid call request"])
        #expect(h.send(socket, event, nil).errors == ["Invalid call request"])
        #expect(h.book.calls["c1"]?.status == .ringing)
    }

    /// Anyone but the call's own user and telecaller gets "Call not found." and nothing changes.
    @Test func thirdPartiesRefused() {
        var h = Self.ringing()
        let strangers: [(CallSocket, String)] = [
            (userSocket("u2"), "call:cancel"), (userSocket("u2"), "call:end"),
            (telecallerSocket("t2"), "call:accept"), (telecallerSocket("t2"), "call:reject"),
            (CallSocket(ns: "/telecaller", sid: "x", identity: Identity(id: "u1", role: "TELECALLER")), "call:accept"),
        ]
        for (socket, event) in strangers {
            #expect(h.send(socket, event, callPayload("c1")).instructions == [callError(socket, "Call not found.")])
        }
        #expect(h.book.calls["c1"]?.status == .ringing)
        var a = Self.accepted()
        #expect(a.send(userSocket("u2"), "call:end", callPayload("c1")).errors == ["Call not found."])
        #expect(a.send(telecallerSocket("t2"), "call:end", callPayload("c1")).errors == ["Call not found."])
        #expect(a.book.calls["c1"]?.status == .accepted)
    }

    /// `call:cancel` and `call:end` allow 20 a minute per account (refusals included).
    @Test(arguments: ["call:cancel", "call:end"])
    func rateLimits(event: String) {
        var h = Harness()
        for _ in 1...20 { #expect(h.send(userSocket("u1"), event, callPayload("x")).errors == ["Call not found."]) }
        #expect(h.send(userSocket("u1"), event, callPayload("x")).errors
            == ["Too many call attempts. Please wait a moment."])
        #expect(h.send(userSocket("u2"), event, callPayload("x")).errors == ["Call not found."])
        h.now += 60_000
        #expect(h.send(userSocket("u1"), event, callPayload("x")).errors == ["Call not found."])
    }

    /// The state machine allows exactly the seed's transitions.
    @Test func stateMachine() {
        let allowed: Set<String> = ["RINGING>ACCEPTED", "RINGING>REJECTED", "RINGING>CANCELLED", "RINGING>MISSED",
                                    "ACCEPTED>COMPLETED"]
        for from in CallStatus.allCases {
            for to in CallStatus.allCases {
                #expect(from.canMove(to: to) == allowed.contains("\(from.rawValue)>\(to.rawValue)"))
            }
        }
    }
}
