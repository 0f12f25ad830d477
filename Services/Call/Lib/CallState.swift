import Contracts
import Foundation
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
///
/// Every step of a change is journaled (here and in the book), so that a change is taken back
/// at the cost of what it touched: ``mark`` before it, ``undo(to:)`` to take it back, ``commit()``
/// once the database has it.
struct CallState: Sendable {
    /// A position in the journals, to undo back to.
    struct Mark: Sendable, Equatable {
        /// Entries of the state's own journal.
        var state: Int
        /// Entries of the book's journal.
        var book: Int
    }

    /// The calls, accounts and sockets.
    var book: CallBook
    /// The sockets each edge holds, by edge instance id.
    var sockets: [String: Set<CallSocket>] = [:]
    /// How to take back the steps taken on ``sockets`` (and ``reset(to:)``) since the last commit.
    private var journal = UndoLog<CallState>()

    /// The state of `book`, with no socket; both journals record.
    init(book: CallBook) {
        self.book = book
        self.book.journal.isRecording = true
        journal.isRecording = true
    }

    /// Where the journals stand now.
    var mark: Mark { Mark(state: journal.count, book: book.journal.count) }

    /// Takes back every step taken since `mark`, newest first. The state's own steps go first:
    /// they touch only ``sockets``, except a reset, which brings back the book as it was then.
    mutating func undo(to mark: Mark) {
        while journal.count > mark.state, let entry = journal.removeLast() { entry(&self) }
        book.undo(to: mark.book)
    }

    /// Forgets the journals: what they would undo is committed.
    mutating func commit() {
        journal.removeAll()
        book.journal.removeAll()
    }

    /// Replaces the whole state by a fresh one around `book` (start-up), keeping the journal.
    mutating func reset(to book: CallBook) {
        let old = self
        self = CallState(book: book)
        journal = old.journal
        journal.record { $0 = old }
    }

    /// Applies a socket fact from `edge` to the book at `now`.
    mutating func apply(_ fact: SocketFact, edge: String, now: Int64) -> CallOutcome {
        switch fact {
        case .connected(let socket):
            if sockets[edge, default: []].insert(socket).inserted {
                journal.record { _ = $0.remove(socket, from: edge) }
            }
            return book.handle(.connected(socket), now: now)
        case .disconnected(let socket):
            if remove(socket, from: edge) {
                journal.record { _ = $0.sockets[edge, default: []].insert(socket) }
            }
            return book.handle(.disconnected(socket), now: now)
        }
    }

    /// Every socket of `edge` disconnects (the edge stopped saying hello).
    mutating func edgeGone(_ edge: String, now: Int64) -> CallOutcome {
        var outcome = CallOutcome()
        guard let held = sockets.removeValue(forKey: edge) else { return outcome }
        journal.record { $0.sockets[edge] = held }
        for socket in held.sorted(by: { ($0.ns, $0.sid) < ($1.ns, $1.sid) }) {
            outcome.append(book.handle(.disconnected(socket), now: now))
        }
        return outcome
    }

    /// Takes `socket` out of `edge`'s sockets (an edge left with none is dropped); whether it was there.
    @discardableResult
    private mutating func remove(_ socket: CallSocket, from edge: String) -> Bool {
        guard sockets[edge]?.remove(socket) != nil else { return false }
        if sockets[edge]?.isEmpty == true { sockets[edge] = nil }
        return true
    }
}

/// Wakes the deadline timer early (a call was stored, so the next deadline may be sooner).
final class Waker: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        /// When the current wait ends by itself (ms since the epoch, the engine's clock), if known.
        var until: Int64?
    }

    private let state = Mutex(State())

    /// Ends the current wait, or the next one at once when nobody waits. A wake for a
    /// `deadline` at or after the moment the current wait ends by itself does nothing: the
    /// timer looks at the book again then anyway.
    func wake(for deadline: Int64? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            if let deadline, let until = state.until, deadline >= until { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Waits until `wake()` or for `duration`, whichever comes first (or cancellation); `until`
    /// is when that is on the engine's clock, if the caller knows.
    func wait(upTo duration: Duration, until: Int64? = nil) async {
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
                    state.until = until
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
