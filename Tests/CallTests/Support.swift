import Contracts
@testable import Call

/// The start of every test's clock (ms since the epoch).
let t0: Int64 = 1_700_000_000_000

/// A `/user` socket of user `id`.
func userSocket(_ id: String, _ sid: String? = nil) -> CallSocket {
    CallSocket(ns: "/user", sid: sid ?? "su-\(id)", identity: Identity(id: id, role: "USER"))
}

/// A `/telecaller` socket of telecaller `id`.
func telecallerSocket(_ id: String, _ sid: String? = nil) -> CallSocket {
    CallSocket(ns: "/telecaller", sid: sid ?? "st-\(id)", identity: Identity(id: id, role: "TELECALLER"))
}

/// The test token maker: `tok|<identity>|<name>|<room>`.
let testTokens: LiveKitTokenMaker = { identity, name, room in "tok|\(identity)|\(name)|\(room)" }

/// Accounts of every test: users u1 (1000 coins), u2 (1000), u3 (BLOCKED), u4 (5 coins);
/// telecallers t1 Jane (rate 10), t2 Tom (rate 10), t3 Una (not approved), t4 Bo (BLOCKED),
/// t5 Zed (rate 0).
let testUsers = [
    UserAccount(id: "u1", name: "Ann", profile: "avatar-1", coinBalance: 1000),
    UserAccount(id: "u2", name: "Ben", coinBalance: 1000),
    UserAccount(id: "u3", name: "Cy", status: .blocked, coinBalance: 1000),
    UserAccount(id: "u4", name: "Dee", coinBalance: 5),
]

/// See `testUsers`.
let testTelecallers = [
    Telecaller(id: "t1", name: "Jane", profile: "avatar-3", language: "hindi", about: "Five years.",
               ratePerMinute: 10),
    Telecaller(id: "t2", name: "Tom", language: "tamil", about: "New.", ratePerMinute: 10),
    Telecaller(id: "t3", name: "Una", language: "urdu", about: "Pending.", approved: false, ratePerMinute: 10),
    Telecaller(id: "t4", name: "Bo", language: "bengali", about: "Blocked.", ratePerMinute: 10,
               status: .blocked),
    Telecaller(id: "t5", name: "Zed", language: "english", about: "Free.", ratePerMinute: 0),
]

/// A book plus a clock, with helpers that send events at `now`.
struct Harness {
    /// The book under test.
    var book: CallBook
    /// The current time.
    var now: Int64 = t0

    /// A book with the test accounts; `connected` sockets are connected at `t0`.
    init(configuration: CallBook.Configuration = .init(), calls: [Call] = [],
         connected: [CallSocket] = [userSocket("u1"), userSocket("u2"), telecallerSocket("t1")])
    {
        book = CallBook(configuration: configuration, users: testUsers, telecallers: testTelecallers,
                        calls: calls, makeToken: testTokens)
        for socket in connected { _ = book.handle(.connected(socket), now: t0) }
    }

    /// Sends client `event` from `socket`; a created call is named `callID`.
    @discardableResult
    mutating func send(_ socket: CallSocket, _ event: String, _ payload: JSON?, callID: String = "c1") -> CallOutcome {
        book.handle(.client(socket, event: event, payload: payload), now: now, newCallID: { callID })
    }

    /// u-side `call:initiate` of `callType` to `telecallerId`.
    @discardableResult
    mutating func initiate(_ user: CallSocket = userSocket("u1"), to telecallerId: String = "t1",
                           callType: String = "AUDIO", callID: String = "c1") -> CallOutcome
    {
        send(user, "call:initiate", ["telecallerId": .string(telecallerId), "callType": .string(callType)],
             callID: callID)
    }

    /// Life fact `connected`.
    @discardableResult
    mutating func connect(_ socket: CallSocket) -> CallOutcome { book.handle(.connected(socket), now: now) }

    /// Life fact `disconnected`.
    @discardableResult
    mutating func disconnect(_ socket: CallSocket) -> CallOutcome { book.handle(.disconnected(socket), now: now) }

    /// Runs the timer at `now`.
    @discardableResult
    mutating func expire() -> CallOutcome { book.expire(now: now) }
}

/// `{callId}`.
func callPayload(_ id: String) -> JSON { ["callId": .string(id)] }

/// An emit of `event` with `payload` to every socket of user `id` on `/user`.
func toUser(_ id: String, _ event: String, _ payload: JSON) -> Instruction {
    .emit(Emit(ns: "/user", event: event, args: [payload], to: Audience(users: [id])))
}

/// An emit of `event` with `payload` to every socket of telecaller `id` on `/telecaller`.
func toTelecaller(_ id: String, _ event: String, _ payload: JSON) -> Instruction {
    .emit(Emit(ns: "/telecaller", event: event, args: [payload], to: Audience(users: [id])))
}

/// `telecaller:presence-changed` to every `/user` socket.
func presenceChanged(_ id: String, _ presence: String, _ telecaller: JSON = .null) -> Instruction {
    .emit(Emit(ns: "/user", event: "telecaller:presence-changed",
               args: [["telecallerId": .string(id), "presence": .string(presence), "telecaller": telecaller]],
               to: Audience(all: true)))
}

/// `call:error {message}` to `socket` alone.
func callError(_ socket: CallSocket, _ message: String) -> Instruction {
    .emit(Emit(ns: socket.ns, event: "call:error", args: [["message": .string(message)]],
               to: Audience(sids: [socket.sid])))
}

extension CallOutcome {
    /// The emits, in order.
    var emits: [Emit] { instructions.compactMap { if case .emit(let emit) = $0 { emit } else { nil } } }
    /// The `call:error` messages, in order.
    var errors: [String] {
        emits.filter { $0.event == "call:error" }.compactMap { $0.args.first?["message"]?.stringValue }
    }
}
