import Contracts
import Foundation
import GRDB
import Logging
import ServiceKit
import Synchronization

/// The call book on the bus: every change of the book happens inside a database write, in the
/// same transaction as its effects (and, for client events, the dedup record). GRDB runs writes
/// one at a time, so changes are serialized; a savepoint or transaction that rolls back takes
/// back the changes made in it (see ``change(_:_:)``).
final class CallEngine: Sendable {
    /// Start-up: the socket updates of ServiceKit's mirror (the initial state first) are held
    /// back until the book is loaded (``finishRebuild(_:through:)``).
    struct Rebuild {
        var active = true
        var heldBack: [SocketUpdate] = []
    }

    let settings: CallSettings
    let rooms: LiveKitRooms
    let logger: Logger
    let waker = Waker()
    let state: Mutex<CallState>
    let rebuild = Mutex(Rebuild())
    /// The clock (ms since the epoch); tests may set it.
    let clock: @Sendable () -> Int64

    init(settings: CallSettings, logger: Logger, clock: @escaping @Sendable () -> Int64 = Clock.millisecondsSinceEpoch) {
        self.settings = settings
        self.logger = logger
        self.clock = clock
        rooms = LiveKitRooms(serverURL: settings.liveKitServer, tokens: settings.tokens, logger: logger)
        state = Mutex(CallState(book: CallBook(configuration: settings.book, makeToken: settings.tokens.maker)))
    }

    /// A copy of the book, for tests. (Code that runs beside changes reads under the lock
    /// instead: a copy still held when the next change writes would make it copy the book.)
    var book: CallBook { state.withLock { $0.book } }

    /// Whether start-up is still rebuilding (socket facts are held back).
    var isRebuilding: Bool { rebuild.withLock { $0.active } }

    // MARK: Changing the book

    /// Runs `body` on the state at the current time inside the transaction of `db` and writes
    /// the outcome's effects in it. Every step `body` takes is journaled, so a change costs what
    /// it touches: when its effects cannot be written, the change is taken back at once (the
    /// caller's savepoint or transaction then rolls back the database). Otherwise the change
    /// ends with the write that holds it (``GRDB/Database/afterWrite(onCommit:onRollback:)``):
    /// when that write's savepoint rolls back (the handler threw after the change, the event's
    /// dedup record failed) or its transaction rolls back (a batch whose commit failed), the
    /// change is taken back, newest first among those rolled back together; after the commit
    /// the journal is forgotten, the timer is woken when a live call was stored, and rooms are
    /// deleted.
    func change(_ db: Database, _ body: (inout CallState, Int64) -> CallOutcome) throws -> CallOutcome {
        let now = clock()
        let (mark, outcome) = state.withLock { state in (state.mark, body(&state, now)) }
        do {
            try CallStore.apply(outcome.effects, in: db)
        } catch {
            state.withLock { $0.undo(to: mark) }
            throw error
        }
        // The timer is woken for a call that went live; not for a RINGING call whose deadline
        // comes after the timer's next look anyway, nor for a final call (deadlines only go).
        let live = outcome.effects.compactMap { if case .store(let call) = $0, call.status.isLive { call } else { nil } }
        let rooms = outcome.effects.compactMap { if case .deleteRoom(let id) = $0 { id } else { nil } }
        let deleter = self.rooms
        // Several changes may share one transaction: the first commit forgets the journal of
        // all of them, and the later ones find nothing left to forget.
        db.afterWrite(onCommit: { [self, waker] in
            self.state.withLock { $0.commit() }
            for call in live { waker.wake(for: call.status == .ringing ? call.ringDeadline : nil) }
            for room in rooms { Task { await deleter.delete(room: room) } }
        }, onRollback: { [self] in
            self.state.withLock { $0.undo(to: mark) }
        })
        return outcome
    }

    // MARK: Client events

    /// A client event on `/user` or `/telecaller`; identity from the header only. When the
    /// client asked for an acknowledgement, a refused event is acknowledged
    /// `{success: false, error: <the call:error message>}`; any other gets the route's automatic
    /// `{success: true}` (docs/call.md).
    func clientEvent(_ event: Event, context: Context) async throws -> [Instruction] {
        guard let identity = event.user, let sid = event.sid else {
            context.logger.warning("call event without an identity or a socket; ignored")
            return Self.refusalAck(.invalidRequest, to: event)
        }
        let socket = CallSocket(ns: event.route.ns, sid: sid, identity: identity)
        let name = event.route.event
        let payload = event.args.first
        return try await context.write { db in
            let outcome = try self.change(db) { state, now in
                state.book.handle(.client(socket, event: name, payload: payload), now: now)
            }
            return outcome.instructions + (outcome.refusal.map { Self.refusalAck($0, to: event) } ?? [])
        }
    }

    /// The acknowledgement of a refused client event, when one was asked for.
    static func refusalAck(_ refusal: CallRefusal, to event: Event) -> [Instruction] {
        event.acknowledge([["success": false, "error": .string(refusal.message)]])
    }

    /// The edge's `connect` event: accept or reject the socket.
    func decide(_ event: Event) -> [Instruction] {
        guard let identity = event.user else {
            return [ConnectionDecision.reject("Authentication token required").instruction]
        }
        return [state.withLock { $0.book.decideConnection(identity: identity, namespace: event.route.ns) }.instruction]
    }

    /// `("", "seed")`: upserts the document's users and telecallers; the ack (when asked for) is
    /// `{ok: true, service: "call", users: N, telecallers: M}` or `{ok: false, service, error}`.
    func seed(_ event: Event, context: Context) async throws -> [Instruction] {
        let seed: CallSeed
        do {
            seed = try CallSeed(document: event.args.first ?? .null)
        } catch {
            context.logger.warning("seed refused: \(error)")
            return event.acknowledge([["ok": false, "service": "call", "error": .string(error.description)]])
        }
        let ack = event.acknowledge([["ok": true, "service": "call", "users": .int(Int64(seed.users.count)),
                                      "telecallers": .int(Int64(seed.telecallers.count))]])
        return try await context.write { db in
            for user in seed.users { try CallStore.upsert(user, in: db) }
            for telecaller in seed.telecallers { try CallStore.upsert(telecaller, in: db) }
            let outcome = try self.change(db) { state, _ in
                for user in seed.users { state.book.upsert(user) }
                var instructions: [Instruction] = []
                for telecaller in seed.telecallers {
                    state.book.upsert(telecaller)
                    instructions += state.book.presenceChanges(of: telecaller.id)
                }
                return CallOutcome(instructions: instructions)
            }
            context.logger.info("seeded", metadata: ["users": "\(seed.users.count)",
                                                     "telecallers": "\(seed.telecallers.count)"])
            return outcome.instructions + ack
        }
    }

    // MARK: Sockets

    /// Socket changes from ServiceKit's mirror of the edges: held back while rebuilding, else
    /// applied in one write (none when no change concerns a call socket).
    func sockets(_ update: SocketUpdate, context: Context) async throws -> [Instruction] {
        let held = rebuild.withLock { rebuild -> Bool in
            guard rebuild.active else { return false }
            rebuild.heldBack.append(update)
            return true
        }
        let changes = update.changes.filter { CallSocket($0) != nil }
        if held || changes.isEmpty { return [] }
        return try await context.write { db in
            try self.change(db) { state, now in
                var outcome = CallOutcome()
                for change in changes { outcome.append(state.apply(change, now: now)) }
                return outcome
            }.instructions
        }
    }
}
