import Contracts
import Foundation
import ServiceKit
import Synchronization

/// Everything the service keeps in memory: the book (the sockets it knows are what ServiceKit's
/// mirror of the edges told it).
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
    /// How to take back a ``reset(to:)`` since the last commit.
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
    /// a reset brings back the book as it was then.
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

    /// Applies a change of the edges' sockets to the book at `now`: the `connected` and
    /// `disconnected` of authenticated sockets of `/user` and `/telecaller` matter; rooms do not.
    mutating func apply(_ change: SocketChange, now: Int64) -> CallOutcome {
        guard let socket = CallSocket(change) else { return CallOutcome() }
        switch change {
        case .connected: return book.handle(.connected(socket), now: now)
        case .disconnected: return book.handle(.disconnected(socket), now: now)
        case .joined, .left: return CallOutcome()
        }
    }
}

extension CallSocket {
    /// The socket of a `connected` or `disconnected` change, when it is an authenticated socket
    /// of a call namespace.
    init?(_ change: SocketChange) {
        switch change {
        case .connected, .disconnected: break
        case .joined, .left: return nil
        }
        let socket = change.socket
        guard socket.ns == CallBook.userNamespace || socket.ns == CallBook.telecallerNamespace,
              let identity = socket.user else { return nil }
        self.init(ns: socket.ns, sid: socket.sid, identity: identity)
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
