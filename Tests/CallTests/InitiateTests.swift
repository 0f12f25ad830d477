import Contracts
import Testing
@testable import Call

/// `call:initiate`: success and every refusal, in the seed's order.
@Suite struct InitiateTests {
    /// A valid initiate rings both sides with the exact payloads and stores a RINGING call.
    @Test func ringsBothSides() {
        var h = Harness()
        let outcome = h.initiate(callType: "VIDEO")
        let call = Call(id: "c1", userId: "u1", telecallerId: "t1", callType: .video, ratePerMinute: 10,
                        initiatedAt: t0, ringDeadline: t0 + 30_000, userSid: "su-u1")
        #expect(outcome.instructions == [
            toTelecaller("t1", "call:incoming", ["callId": "c1", "callType": "VIDEO",
                                                 "caller": ["_id": "u1", "name": "Ann", "profile": "avatar-1"]]),
            toUser("u1", "call:ringing", ["callId": "c1",
                                          "telecaller": ["_id": "t1", "name": "Jane", "profile": "avatar-3"]]),
            presenceChanged("t1", "ON_CALL"),
        ])
        #expect(outcome.effects == [.store(call)])
        #expect(h.book.calls["c1"] == call)
        #expect(h.book.nextDeadline == t0 + 30_000)
    }

    /// Missing fields, wrong types and non-objects are "Invalid call request".
    @Test(arguments: [
        nil, .null, "AUDIO", ["callType": "AUDIO"], ["telecallerId": "t1"], ["telecallerId": 1, "callType": "AUDIO"],
        ["telecallerId": "", "callType": "AUDIO"], ["telecallerId": "t1", "callType": 1], [["telecallerId": "t1"]],
    ] as [JSON?])
    func invalidRequest(payload: JSON?) {
        var h = Harness()
        let outcome = h.send(userSocket("u1"), "call:initiate", payload)
        #expect(outcome.instructions == [callError(userSocket("u1"), "Invalid call request")])
        #expect(outcome.effects.isEmpty)
        #expect(h.book.calls.isEmpty)
    }

    /// Only `AUDIO` and `VIDEO`, case-sensitively.
    @Test(arguments: ["audio", "PHONE", ""])
    func invalidCallType(callType: String) {
        var h = Harness()
        #expect(h.initiate(callType: callType).errors == ["Invalid call type"])
    }

    /// Five attempts a minute per user; refused-later attempts count, invalid payloads do not.
    @Test func rateLimit() {
        var h = Harness()
        _ = h.send(userSocket("u1"), "call:initiate", nil)
        for _ in 1...5 {
            #expect(h.initiate(to: "nobody").errors == ["This person is no longer available for calls."])
        }
        #expect(h.initiate().errors == ["Too many call attempts. Please wait a moment."])
        #expect(h.initiate(userSocket("u2")).errors.isEmpty)
        h.now += 59_999
        #expect(h.initiate(to: "nobody").errors == ["Too many call attempts. Please wait a moment."])
        h.now += 1
        #expect(h.initiate(callID: "c9").errors.isEmpty)
        #expect(h.book.calls["c9"]?.status == .ringing)
    }

    /// A missing, blocked or too poor user is "Your account is not available…".
    @Test(arguments: ["u3", "u4", "ghost"])
    func accountUnavailable(user: String) {
        var h = Harness()
        #expect(h.initiate(userSocket(user)).errors == ["Your account is not available. Please contact support."])
    }

    /// A balance of exactly one minute's rate is enough.
    @Test func balanceOfOneMinuteIsEnough() {
        var h = Harness()
        h.book.users["u4"]?.coinBalance = 10
        #expect(h.initiate(userSocket("u4")).errors.isEmpty)
        #expect(h.book.calls["c1"]?.status == .ringing)
    }

    /// A missing, unapproved or blocked telecaller is "This person is no longer available for calls.".
    @Test(arguments: ["ghost", "t3", "t4"])
    func telecallerGone(telecaller: String) {
        var h = Harness(connected: [userSocket("u1"), telecallerSocket(telecaller)])
        #expect(h.initiate(to: telecaller).errors == ["This person is no longer available for calls."])
    }

    /// A telecaller who set themselves unavailable is "{name} is currently offline…".
    @Test func telecallerOffline() {
        var h = Harness()
        h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": false])
        #expect(h.initiate().errors == ["Jane is currently offline. Please try again later."])
    }

    /// A telecaller with a ringing call is "{name} is busy on another call…".
    @Test func telecallerBusy() {
        var h = Harness()
        h.initiate(userSocket("u2"), callID: "c0")
        #expect(h.initiate().errors == ["Jane is busy on another call. Please try again later."])
    }

    /// A telecaller without a socket is "{name} is currently unavailable…".
    @Test func telecallerNotConnected() {
        var h = Harness()
        #expect(h.initiate(to: "t2").errors == ["Tom is currently unavailable. Please try again later."])
    }

    /// A user with a live call is "You already have an active call.".
    @Test func alreadyInCall() {
        var h = Harness(connected: [userSocket("u1"), telecallerSocket("t1"), telecallerSocket("t2")])
        h.initiate(callID: "c0")
        let outcome = h.initiate(to: "t2")
        #expect(outcome.instructions == [callError(userSocket("u1"), "You already have an active call.")])
        #expect(h.book.calls.keys.sorted() == ["c0"])
    }

    /// When several checks fail, the earliest in the seed's order wins.
    @Test func seedOrder() {
        var h = Harness()
        #expect(h.send(userSocket("u3"), "call:initiate", ["telecallerId": "ghost", "callType": "x"]).errors
            == ["Invalid call type"])
        #expect(h.initiate(userSocket("u3"), to: "ghost").errors
            == ["Your account is not available. Please contact support."])
        h.initiate(userSocket("u2"), callID: "c0")
        h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": false])
        #expect(h.initiate().errors == ["Jane is currently offline. Please try again later."])
        h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": true])
        #expect(h.initiate(userSocket("u2")).errors == ["Jane is busy on another call. Please try again later."])
        h.disconnect(telecallerSocket("t1"))
        #expect(h.initiate(userSocket("u2"), to: "t2").errors
            == ["Tom is currently unavailable. Please try again later."])
    }

    /// An unknown route on either namespace is an invalid request and changes nothing.
    @Test func unknownEvent() {
        var h = Harness()
        #expect(h.send(userSocket("u1"), "call:accept", callPayload("c1")).errors == ["Invalid call request"])
        #expect(h.send(telecallerSocket("t1"), "call:initiate", nil).errors == ["Invalid call request"])
    }
}
