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
