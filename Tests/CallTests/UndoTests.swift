import Contracts
import ServiceKit
import Testing
@testable import Call

/// The mirror's `connected` change for `socket` of `edge`.
func socketConnected(_ socket: CallSocket, edge: String) -> SocketChange {
    .connected(SocketRef(edge: edge, sid: socket.sid), LifeSocket(sid: socket.sid, ns: socket.ns, user: socket.identity))
}

/// The mirror's `disconnected` change for `socket` of `edge`.
func socketDisconnected(_ socket: CallSocket, edge: String) -> SocketChange {
    .disconnected(SocketRef(edge: edge, sid: socket.sid), LifeSocket(sid: socket.sid, ns: socket.ns, user: socket.identity))
}

/// Everything a ``CallState`` holds, to compare a state with itself before changes that were
/// taken back.
struct StateImage: Equatable, Sendable {
    var users: [String: UserAccount]
    var telecallers: [String: Telecaller]
    var calls: [String: Call]
    var sockets: [String: [String: Set<String>]]
    var unavailable: Set<String>
    var announced: [String: Presence]
    var limiters: [RateLimiter]
    var index: CallIndex

    init(_ state: CallState) {
        let book = state.book
        users = book.users
        telecallers = book.telecallers
        calls = book.calls
        sockets = book.sockets
        unavailable = book.unavailable
        announced = book.announced
        limiters = [book.initiateLimiter, book.cancelLimiter, book.endLimiter]
        index = book.index
    }
}

/// The journal: every step of a change is taken back exactly, at the cost of what it touched.
@Suite struct UndoTests {
    /// A journaling state around the test accounts, with u1, u2 and t1 connected on edge `e1`.
    func journaling() -> CallState {
        var state = CallState(book: Harness(connected: []).book)
        for socket in [userSocket("u1"), userSocket("u2"), telecallerSocket("t1")] {
            _ = state.apply(socketConnected(socket, edge: "e1"), now: t0)
        }
        state.commit()
        return state
    }

    /// Runs `step` on `state` at `now`, takes it back and checks that nothing is left of it,
    /// then runs it again for good (steps are deterministic) and commits.
    func undoThenKeep(_ state: inout CallState, _ label: String, now: Int64,
                      _ step: (inout CallState, Int64) -> CallOutcome) {
        let before = StateImage(state)
        let mark = state.mark
        let first = step(&state, now)
        state.undo(to: mark)
        #expect(StateImage(state) == before, "\(label)")
        #expect(state.mark == mark, "\(label)")
        let again = step(&state, now)
        #expect(again == first, "\(label)")
        state.commit()
    }

    /// Each kind of step: sockets (book and edges), availability, presence, rate limiters,
    /// initiate, accept, end with billing, reject, the ring timer, the retention sweep, seeds and
    /// a vanished edge.
    @Test func everyStepIsTakenBackExactly() {
        var state = journaling()
        let initiate: (String, String, String) -> (inout CallState, Int64) -> CallOutcome = { user, telecaller, id in
            { state, now in
                state.book.handle(.client(userSocket(user), event: "call:initiate",
                                          payload: ["telecallerId": .string(telecaller), "callType": "AUDIO"]),
                                  now: now, newCallID: { id })
            }
        }
        let client: (CallSocket, String, JSON) -> (inout CallState, Int64) -> CallOutcome = { socket, name, payload in
            { state, now in state.book.handle(.client(socket, event: name, payload: payload), now: now) }
        }
        undoThenKeep(&state, "second telecaller socket", now: t0) { $0.apply(socketConnected(telecallerSocket("t1", "st-2"), edge: "e2"), now: $1) }
        undoThenKeep(&state, "t2 connects", now: t0) { $0.apply(socketConnected(telecallerSocket("t2"), edge: "e1"), now: $1) }
        undoThenKeep(&state, "unavailable", now: t0) { client(telecallerSocket("t2"), CallBook.setAvailabilityEvent, ["available": false])(&$0, $1) }
        undoThenKeep(&state, "initiate", now: t0 + 1_000, initiate("u1", "t1", "c1"))
        undoThenKeep(&state, "refused initiate", now: t0 + 1_000, initiate("u2", "t1", "c2"))
        undoThenKeep(&state, "accept", now: t0 + 2_000, client(telecallerSocket("t1"), "call:accept", callPayload("c1")))
        undoThenKeep(&state, "end with billing", now: t0 + 62_000, client(userSocket("u1"), "call:end", callPayload("c1")))
        undoThenKeep(&state, "initiate again", now: t0 + 63_000, initiate("u2", "t1", "c3"))
        undoThenKeep(&state, "reject", now: t0 + 64_000, client(telecallerSocket("t1"), "call:reject", callPayload("c3")))
        undoThenKeep(&state, "third call", now: t0 + 65_000, initiate("u2", "t1", "c4"))
        undoThenKeep(&state, "missed by the timer", now: t0 + 100_000) { $0.book.expire(now: $1) }
        undoThenKeep(&state, "owner socket gone", now: t0 + 100_000) { $0.apply(socketDisconnected(telecallerSocket("t1"), edge: "e1"), now: $1) }
        undoThenKeep(&state, "rate windows pruned, final calls swept", now: t0 + 400_000) { $0.book.expire(now: $1) }
        undoThenKeep(&state, "seed", now: t0 + 400_000) { state, _ in
            state.book.upsert(UserAccount(id: "u9", name: "New", coinBalance: 7))
            state.book.upsert(Telecaller(id: "t1", name: "Jane", language: "hindi", about: "Renamed.", ratePerMinute: 20))
            return CallOutcome(instructions: state.book.presenceChanges(of: "t1"))
        }
        undoThenKeep(&state, "edge gone", now: t0 + 400_000) {
            $0.apply(socketDisconnected(telecallerSocket("t1", "st-2"), edge: "e2"), now: $1)
        }
        undoThenKeep(&state, "reset", now: t0 + 400_000) { state, _ in
            state.reset(to: Harness(connected: []).book)
            return CallOutcome()
        }
    }

    /// Changes taken back together, newest first, leave the state as before all of them; so does
    /// a timer turn that consumes over a thousand ring deadlines (the queue compacts).
    @Test func manyChangesAreTakenBackTogether() {
        let count = 1_100
        var book = CallBook(users: (0..<count).map { UserAccount(id: "u\($0)", name: "U", coinBalance: 10) },
                            telecallers: (0..<count).map { Telecaller(id: "t\($0)", name: "T", language: "", about: "", ratePerMinute: 0) },
                            makeToken: testTokens)
        for i in 0..<count {
            _ = book.handle(.connected(userSocket("u\(i)")), now: t0)
            _ = book.handle(.connected(telecallerSocket("t\(i)")), now: t0)
        }
        var state = CallState(book: book)
        let before = StateImage(state)
        let mark = state.mark
        for i in 0..<count {
            _ = state.book.handle(.client(userSocket("u\(i)"), event: "call:initiate",
                                          payload: ["telecallerId": .string("t\(i)"), "callType": "VIDEO"]),
                                  now: t0 + Int64(i), newCallID: { "c\(i)" })
        }
        let ringing = StateImage(state)
        let ringingMark = state.mark
        let missed = state.book.expire(now: t0 + 60_000)
        #expect(missed.effects.count == count)
        state.undo(to: ringingMark)
        #expect(StateImage(state) == ringing)
        let again = state.book.expire(now: t0 + 60_000)
        #expect(again == missed)
        state.undo(to: mark)
        #expect(StateImage(state) == before)
    }
}
