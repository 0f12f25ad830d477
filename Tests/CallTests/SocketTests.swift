import Contracts
import Testing
@testable import Call

/// Disconnects, presence and connection decisions.
@Suite struct SocketTests {
    /// The user's owning socket goes while RINGING: MISSED, `call:missed` to both.
    @Test func userLeavesRinging() {
        var h = AnswerTests.ringing()
        let outcome = h.disconnect(userSocket("u1"))
        #expect(outcome.instructions == [toUser("u1", "call:missed", callPayload("c1")),
                                         toTelecaller("t1", "call:missed", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(h.book.calls["c1"]?.status == .missed && h.book.calls["c1"]?.endReason == .userDisconnected)
    }

    /// The user's owning socket goes while ACCEPTED: COMPLETED, billed, telecaller told, room deleted.
    @Test func userLeavesAccepted() {
        var h = AnswerTests.accepted()
        h.now += 30_000
        let outcome = h.disconnect(userSocket("u1"))
        let call = h.book.calls["c1"]!
        #expect(outcome.instructions == [toTelecaller("t1", "call:ended", callPayload("c1")),
                                         presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)])
        #expect(outcome.effects == [.store(call), .debit(userId: "u1", coins: 10), .deleteRoom("c1")])
        #expect(call.status == .completed && call.endReason == .userDisconnected && call.durationSeconds == 30)
    }

    /// With two tabs, only the tab that initiated the call ends it.
    @Test func userTwoTabs() {
        var h = Harness()
        let other = userSocket("u1", "su-tab2")
        h.connect(other)
        h.initiate()
        #expect(h.disconnect(other) == CallOutcome())
        #expect(h.book.calls["c1"]?.status == .ringing)
        h.send(telecallerSocket("t1"), "call:accept", callPayload("c1"))
        #expect(h.disconnect(userSocket("u1")).emits.first?.event == "call:ended")
    }

    /// The accepting telecaller socket goes: COMPLETED, user told, room deleted, OFFLINE if last.
    @Test func telecallerLeavesAccepted() {
        var h = AnswerTests.accepted()
        let outcome = h.disconnect(telecallerSocket("t1"))
        #expect(outcome.instructions == [toUser("u1", "call:ended", callPayload("c1")),
                                         presenceChanged("t1", "OFFLINE")])
        #expect(outcome.effects.last == .deleteRoom("c1"))
        #expect(h.book.calls["c1"]?.endReason == .telecallerDisconnected)
    }

    /// A telecaller's other tab going changes nothing; the accepting one ends the call.
    @Test func telecallerTwoTabs() {
        var h = Harness()
        let other = telecallerSocket("t1", "st-tab2")
        h.connect(other)
        h.initiate()
        h.send(telecallerSocket("t1"), "call:accept", callPayload("c1"))
        #expect(h.disconnect(other) == CallOutcome())
        let outcome = h.disconnect(telecallerSocket("t1"))
        #expect(outcome.emits.map(\.event) == ["call:ended", "telecaller:presence-changed"])
    }

    /// While RINGING the call is MISSED only when the telecaller's last socket goes.
    @Test func telecallerLeavesRinging() {
        var h = Harness()
        let other = telecallerSocket("t1", "st-tab2")
        h.connect(other)
        h.initiate()
        #expect(h.disconnect(other) == CallOutcome())
        let outcome = h.disconnect(telecallerSocket("t1"))
        #expect(outcome.instructions == [toUser("u1", "call:missed", callPayload("c1")),
                                         toTelecaller("t1", "call:missed", callPayload("c1")),
                                         presenceChanged("t1", "OFFLINE")])
        #expect(h.book.calls["c1"]?.endReason == .telecallerDisconnected)
    }

    /// ONLINE (with the object) on the first socket, nothing on the second, OFFLINE on the last.
    @Test func presenceFollowsSockets() {
        var h = Harness(connected: [])
        #expect(h.connect(telecallerSocket("t1")).instructions
            == [presenceChanged("t1", "ONLINE", ["_id": "t1", "name": "Jane", "profile": "avatar-3",
                                                 "language": "hindi", "about": "Five years."])])
        #expect(h.connect(telecallerSocket("t1", "tab2")) == CallOutcome())
        #expect(h.disconnect(telecallerSocket("t1", "tab2")) == CallOutcome())
        #expect(h.book.presence(of: "t1") == .online)
        #expect(h.disconnect(telecallerSocket("t1")).instructions == [presenceChanged("t1", "OFFLINE")])
        #expect(h.connect(telecallerSocket("t2")).instructions.first
            == presenceChanged("t2", "ONLINE", ["_id": "t2", "name": "Tom", "profile": nil, "language": "tamil",
                                                "about": "New."]))
    }

    /// Availability: OFFLINE while set unavailable, ONLINE again on `true` or on a new connection;
    /// every change of the flag is an effect that stores it.
    @Test func availability() {
        var h = Harness()
        let online = presenceChanged("t1", "ONLINE", testTelecallers[0].presenceJSON)
        #expect(h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": false])
            == CallOutcome(instructions: [presenceChanged("t1", "OFFLINE")],
                           effects: [.availability(telecallerId: "t1", available: false)]))
        #expect(h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": false]) == CallOutcome())
        #expect(h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": true])
            == CallOutcome(instructions: [online], effects: [.availability(telecallerId: "t1", available: true)]))
        h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": false])
        #expect(h.disconnect(telecallerSocket("t1"))
            == CallOutcome(effects: [.availability(telecallerId: "t1", available: true)]))
        #expect(h.connect(telecallerSocket("t1")).instructions == [online])
        #expect(h.send(telecallerSocket("t1"), "telecaller:set-availability", ["available": "no"]).errors
            == ["Invalid call request"])
    }

    /// Unapproved telecallers are never announced; user sockets announce nothing.
    @Test func quietSockets() {
        var h = Harness(connected: [])
        #expect(h.connect(telecallerSocket("t3")) == CallOutcome())
        #expect(h.connect(userSocket("u1")) == CallOutcome())
        #expect(h.disconnect(userSocket("u1")) == CallOutcome())
    }

    /// Connection decisions for both namespaces.
    @Test func decisions() {
        let h = Harness()
        /// The decision for `id` with `role` on `ns`.
        func decide(_ id: String, _ role: String?, _ ns: String) -> ConnectionDecision {
            h.book.decideConnection(identity: Identity(id: id, role: role), namespace: ns)
        }
        #expect(decide("u1", "USER", "/user") == .accept)
        #expect(decide("u3", "USER", "/user") == .reject("Account suspended. Please contact support."))
        #expect(decide("ghost", "USER", "/user") == .reject("Invalid or expired token"))
        #expect(decide("u1", "TELECALLER", "/user") == .reject("Access denied"))
        #expect(decide("u1", nil, "/user") == .reject("Access denied"))
        #expect(decide("t1", "TELECALLER", "/telecaller") == .accept)
        #expect(decide("t3", "TELECALLER", "/telecaller") == .accept)
        #expect(decide("t4", "TELECALLER", "/telecaller") == .reject("Account suspended. Please contact support."))
        #expect(decide("u1", "USER", "/telecaller") == .reject("Access denied"))
        #expect(decide("u1", "USER", "/") == .reject("Access denied"))
        #expect(ConnectionDecision.accept.instruction == .accept(Decision(data: ["accountStatus": "ACTIVE"])))
        #expect(ConnectionDecision.reject("Access denied").instruction
            == .reject(Decision(data: ["message": "Access denied"])))
    }
}
