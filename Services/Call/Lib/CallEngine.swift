import Contracts
import Foundation
import GRDB
import Logging
import ServiceKit
import Synchronization

/// A socket fact about `/user` or `/telecaller`, from the `life` topic.
enum SocketFact: Sendable, Equatable {
    /// `connected {sid, ns, user}`.
    case connected(CallSocket)
    /// `disconnected {sid, ns, user}`.
    case disconnected(CallSocket)

    /// Reads a `connected` / `disconnected` fact; `nil` for other namespaces, anonymous sockets
    /// or malformed facts (the identity is the fact's `user`, else the header's).
    init?(_ kind: LifeFactKind, fact: JSON, header: BusHeader) {
        guard let socket = Self.socket(fact, fallbackUser: header.user) else { return nil }
        switch kind {
        case .connected: self = .connected(socket)
        case .disconnected: self = .disconnected(socket)
        default: return nil
        }
    }

    /// The socket of a fact or of a snapshot entry, when it is an authenticated socket of a call
    /// namespace.
    static func socket(_ entry: JSON, fallbackUser: Identity? = nil) -> CallSocket? {
        guard let sid = entry["sid"]?.stringValue, let ns = entry["ns"]?.stringValue,
              ns == CallBook.userNamespace || ns == CallBook.telecallerNamespace else { return nil }
        let identity: Identity?
        if let user = entry["user"], !user.isNull {
            let id = user["id"]?.stringValue ?? user["id"]?.intValue.map { String($0) }
            identity = id.map { Identity(id: $0, role: user["role"]?.stringValue, name: user["name"]?.stringValue) }
        } else {
            identity = fallbackUser
        }
        guard let identity else { return nil }
        return CallSocket(ns: ns, sid: sid, identity: identity)
    }

    var socket: CallSocket {
        switch self {
        case .connected(let socket), .disconnected(let socket): socket
        }
    }
}

/// Everything the service keeps in memory: the book, and which edge holds which socket (so
/// that the sockets of an edge that went silent can be treated as disconnected).
struct CallState: Sendable {
    var book: CallBook
    var sockets: [String: Set<CallSocket>] = [:]

    /// Applies a socket fact from `edge` to the book at `now`.
    mutating func apply(_ fact: SocketFact, edge: String, now: Int64) -> CallOutcome {
        switch fact {
        case .connected(let socket):
            sockets[edge, default: []].insert(socket)
            return book.handle(.connected(socket), now: now)
        case .disconnected(let socket):
            sockets[edge]?.remove(socket)
            if sockets[edge]?.isEmpty == true { sockets[edge] = nil }
            return book.handle(.disconnected(socket), now: now)
        }
    }

    /// Every socket of `edge` disconnects (the edge stopped saying hello).
    mutating func edgeGone(_ edge: String, now: Int64) -> CallOutcome {
        var outcome = CallOutcome()
        let gone = (sockets.removeValue(forKey: edge) ?? []).sorted { ($0.ns, $0.sid) < ($1.ns, $1.sid) }
        for socket in gone { outcome.append(book.handle(.disconnected(socket), now: now)) }
        return outcome
    }
}

/// Wakes the deadline timer early (a call was stored, so the next deadline may be sooner).
final class Waker: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Ends the current wait, or the next one at once when nobody waits.
    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits until `wake()` or for `duration`, whichever comes first (or cancellation).
    func wait(upTo duration: Duration) async {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: duration)) != nil else { return }
            self?.wake()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    state.waiter = waiter
                    return false
                }
                if now { waiter.resume() }
            }
        } onCancel: {
            self.wake()
        }
        timer.cancel()
    }
}

/// The call book on the bus: every change of the book happens inside a database write, in the
/// same transaction as its effects (and, for client events, the dedup record). GRDB runs writes
/// one at a time, so changes are serialized; a transaction that rolls back restores the book.
final class CallEngine: Sendable {
    private struct Rebuild {
        var active = true
        var snapshots: [String: [CallSocket]] = [:]
        var heldBack: [(edge: String, fact: SocketFact)] = []
    }

    let settings: CallSettings
    let rooms: LiveKitRooms
    let logger: Logger
    let waker = Waker()
    private let state: Mutex<CallState>
    private let rebuild = Mutex(Rebuild())
    /// The clock (ms since the epoch); tests may set it.
    let clock: @Sendable () -> Int64

    init(settings: CallSettings, logger: Logger, clock: @escaping @Sendable () -> Int64 = Clock.millisecondsSinceEpoch) {
        self.settings = settings
        self.logger = logger
        self.clock = clock
        rooms = LiveKitRooms(serverURL: settings.liveKitServer, tokens: settings.tokens, logger: logger)
        state = Mutex(CallState(book: CallBook(configuration: settings.book, makeToken: settings.tokens.maker)))
    }

    /// A copy of the book, for reading (tests, decisions).
    var book: CallBook { state.withLock { $0.book } }

    /// Whether start-up is still rebuilding (socket facts are held back).
    var isRebuilding: Bool { rebuild.withLock { $0.active } }

    // MARK: Changing the book

    /// Runs `body` on the state at the current time inside the transaction of `db`, writes the
    /// outcome's effects in it, and restores the state if the transaction does not commit. After
    /// the commit: the timer is woken when a call was stored, and rooms are deleted.
    func change(_ db: Database, _ body: (inout CallState, Int64) -> CallOutcome) throws -> CallOutcome {
        let now = clock()
        let (backup, outcome) = state.withLock { state -> (CallState, CallOutcome) in
            let backup = state
            return (backup, body(&state, now))
        }
        do {
            try CallStore.apply(outcome.effects, in: db)
        } catch {
            state.withLock { $0 = backup }
            throw error
        }
        let stored = outcome.effects.contains { if case .store = $0 { true } else { false } }
        let rooms = outcome.effects.compactMap { if case .deleteRoom(let id) = $0 { id } else { nil } }
        let deleter = self.rooms
        db.afterNextTransaction(onCommit: { [waker] _ in
            if stored { waker.wake() }
            for room in rooms { Task { await deleter.delete(room: room) } }
        }, onRollback: { [self] _ in
            self.state.withLock { $0 = backup }
        })
        return outcome
    }

    // MARK: Client events

    /// A client event on `/user` or `/telecaller`; identity from the header only.
    func clientEvent(_ event: Event, context: Context) async throws -> [Instruction] {
        guard let identity = event.user, let sid = event.sid else {
            context.logger.warning("call event without an identity or a socket; ignored")
            return []
        }
        let socket = CallSocket(ns: event.route.ns, sid: sid, identity: identity)
        let name = event.route.event
        let payload = event.args.first
        return try await context.write { db in
            try self.change(db) { state, now in
                state.book.handle(.client(socket, event: name, payload: payload), now: now)
            }.instructions
        }
    }

    /// The edge's `connect` event: accept or reject the socket.
    func decide(_ event: Event) -> [Instruction] {
        guard let identity = event.user else {
            return [ConnectionDecision.reject("Authentication token required").instruction]
        }
        return [book.decideConnection(identity: identity, namespace: event.route.ns).instruction]
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
                for user in seed.users { state.book.users[user.id] = user }
                var instructions: [Instruction] = []
                for telecaller in seed.telecallers {
                    state.book.telecallers[telecaller.id] = telecaller
                    instructions += state.book.presenceChanges(of: telecaller.id)
                }
                return CallOutcome(instructions: instructions)
            }
            context.logger.info("seeded", metadata: ["users": "\(seed.users.count)",
                                                     "telecallers": "\(seed.telecallers.count)"])
            return outcome.instructions + ack
        }
    }

    // MARK: Life facts

    /// A `connected` / `disconnected` fact: held back while rebuilding, else applied.
    func socketFact(_ kind: LifeFactKind, _ event: Event, context: Context) async throws -> [Instruction] {
        guard let fact = event.args.first, let parsed = SocketFact(kind, fact: fact, header: event.header) else { return [] }
        let edge = event.header.edge ?? event.header.from
        let held = rebuild.withLock { rebuild -> Bool in
            guard rebuild.active else { return false }
            rebuild.heldBack.append((edge, parsed))
            return true
        }
        if held { return [] }
        return try await context.write { db in
            try self.change(db) { state, now in state.apply(parsed, edge: edge, now: now) }.instructions
        }
    }

    /// A `snapshot` fact: kept while rebuilding (it supersedes the facts its edge sent before);
    /// ignored afterwards (another service asked for it).
    func snapshot(_ event: Event) {
        guard let fact = event.args.first, let list = fact["sockets"]?.arrayValue else { return }
        let edge = fact["edge"]?.stringValue ?? event.header.edge ?? event.header.from
        let sockets = list.compactMap { SocketFact.socket($0) }
        rebuild.withLock { rebuild in
            guard rebuild.active else { return }
            rebuild.snapshots[edge] = sockets
            rebuild.heldBack.removeAll { $0.edge == edge }
        }
    }

    /// An edge went silent: its sockets are gone.
    func edgeGone(_ edge: String, context: Context) async throws -> [Instruction] {
        guard !isRebuilding else { return [] }
        return try await context.write { db in
            try self.change(db) { state, now in state.edgeGone(edge, now: now) }.instructions
        }
    }

    // MARK: Start-up and the timer

    /// Start-up: loads accounts and calls, asks every edge for a snapshot (until all answered or
    /// the rebuild timeout), replays the snapshots and the facts that came after them as
    /// `connected`/`disconnected`, then reconciles (overdue deadlines fire, calls whose owning
    /// socket is gone end) and sends the outcome.
    func start(_ control: ServiceControl) async throws {
        guard let database = control.database else { return }
        let loaded = try await load(from: database)
        await collectSnapshots(control)
        let outcome = try await finishRebuild(loaded, in: database)
        control.logger.info("call book loaded", metadata: [
            "users": "\(loaded.users.count)", "telecallers": "\(loaded.telecallers.count)",
            "live calls": "\(loaded.calls.filter(\.status.isLive).count)", "effects": "\(outcome.effects.count)",
        ])
        control.emit(outcome.instructions)
    }

    /// What start-up reads from the database.
    struct Loaded: Sendable {
        var users: [UserAccount]
        var telecallers: [Telecaller]
        var calls: [Call]
    }

    /// Every account, the live calls and the final ones still within the retention.
    func load(from database: any DatabaseWriter) async throws -> Loaded {
        let since = clock() - settings.book.retentionMs
        return try await database.read { db in
            Loaded(users: try CallStore.users(db), telecallers: try CallStore.telecallers(db),
                   calls: try CallStore.calls(db, endedSince: since))
        }
    }

    /// Ends the rebuild in one write: a fresh book from `loaded`, the snapshots and held-back
    /// facts replayed, then `reconcile`. Socket facts are applied directly from then on.
    func finishRebuild(_ loaded: Loaded, in database: any DatabaseWriter) async throws -> CallOutcome {
        try await database.write { db in
            try self.change(db) { state, now in
                state = CallState(book: CallBook(configuration: self.settings.book, users: loaded.users,
                                                 telecallers: loaded.telecallers, calls: loaded.calls,
                                                 makeToken: self.settings.tokens.maker))
                let (snapshots, heldBack) = self.rebuild.withLock { rebuild in
                    rebuild.active = false
                    defer { rebuild.snapshots = [:]; rebuild.heldBack = [] }
                    return (rebuild.snapshots, rebuild.heldBack)
                }
                var outcome = CallOutcome()
                for (edge, sockets) in snapshots.sorted(by: { $0.key < $1.key }) {
                    for socket in sockets { outcome.append(state.apply(.connected(socket), edge: edge, now: now)) }
                }
                for (edge, fact) in heldBack { outcome.append(state.apply(fact, edge: edge, now: now)) }
                outcome.append(state.book.reconcile(now: now))
                return outcome
            }
        }
    }

    /// Asks the edges for snapshots (again each second) until every live edge answered or the
    /// rebuild timeout passed.
    private func collectSnapshots(_ control: ServiceControl) async {
        // One hello interval and a little: every live edge has said hello by then.
        try? await Task.sleep(for: .milliseconds(1200))
        let deadline = ContinuousClock.now + settings.rebuildTimeout
        var lastRequest: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let edges = Set(control.instances(of: "edge").map(\.instance))
            let answered = rebuild.withLock { Set($0.snapshots.keys) }
            if edges.isSubset(of: answered) { break }
            if lastRequest.map({ ContinuousClock.now - $0 > .seconds(1) }) ?? true {
                lastRequest = .now
                control.publishEvent("resync", on: Topic.edge)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The deadline timer: sleeps until the book's next deadline (at most a second, woken early
    /// when a call is stored), then settles what is due in a write and sends the outcome.
    func runTimer(_ control: ServiceControl) async {
        guard let database = control.database else { return }
        while !Task.isCancelled {
            do {
                if let outcome = try await settleDue(in: database) {
                    control.emit(outcome.instructions)
                    continue
                }
            } catch {
                control.logger.error("settling deadlines failed: \(error)")
            }
            let next = state.withLock { $0.book.nextDeadline }
            let now = clock()
            await waker.wait(upTo: .milliseconds(min(1000, max(1, (next ?? now + 1000) - now))))
        }
    }

    /// Settles the deadlines that are due, in a write; `nil` when none is.
    func settleDue(in database: any DatabaseWriter) async throws -> CallOutcome? {
        guard let next = state.withLock({ $0.book.nextDeadline }), next <= clock() else { return nil }
        return try await database.write { db in
            try self.change(db) { state, now in state.book.expire(now: now) }
        }
    }
}
