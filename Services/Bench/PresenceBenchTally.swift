import Foundation
import Histogram
import NIOCore
import Synchronization

/// What the watcher of `switchboard-bench presence` saw, behind one lock.
///
/// The watcher's connection hands it every `newOnlineUser` event (``watcherEvent(_:)``, on
/// the watcher's event loop); the command marks when each user's last tab was closed
/// (``lastTabClosing(user:)``) and reads the figures. A `Remove` for a user whose last tab was
/// not closed yet is a violation; so is a second `Add` or `Remove`, or one for an unknown user.
final class PresenceBenchTally: Sendable {
    /// The figures of a finished run.
    struct Result: Sendable {
        /// Users announced.
        var users: Int
        /// Users whose `Add` reached the watcher.
        var adds: Int
        /// Seconds from the first `addOnlineUser` sent to the last user's `Add` at the watcher.
        var addSeconds: Double
        /// Users whose `Remove` reached the watcher.
        var removes: Int
        /// Microseconds from closing a user's last tab to the watcher's `Remove` of that user.
        var removeDelay: Histogram<UInt64>
        /// `Remove`s that arrived before the user's last tab was closed.
        var earlyRemoves: Int
        /// Users with more than one `Add`, or more than one `Remove`.
        var duplicates: Int
        /// `newOnlineUser` events for user ids this run never announced, or unreadable ones.
        var strays: Int

        /// `Add` events per second delivered to the watcher.
        var addsPerSecond: Double { addSeconds > 0 ? Double(adds) / addSeconds : 0 }
        /// `true` when every user got exactly one `Add` and one `Remove`, and none came early.
        var isClean: Bool { adds == users && removes == users && earlyRemoves == 0 && duplicates == 0 && strays == 0 }
    }

    /// Everything that changes during a run.
    private struct State {
        var addStart: NIODeadline?
        var lastAdd: NIODeadline?
        var addCount: [Int]
        var removeCount: [Int]
        var lastClosed: [NIODeadline?]
        var removeDelay = Histogram<UInt64>()
        var earlyRemoves = 0
        var strays = 0
    }

    /// Users `0..<users` take part.
    let users: Int
    private let state: Mutex<State>

    /// A tally for users `0..<users`.
    init(users: Int) {
        self.users = users
        state = Mutex(State(addCount: Array(repeating: 0, count: users),
                            removeCount: Array(repeating: 0, count: users),
                            lastClosed: Array(repeating: nil, count: users)))
    }

    /// The moment the tabs start announcing: `Add`s are timed from here.
    func beginAnnouncing() {
        state.withLock { $0.addStart = .now() }
    }

    /// Marks that `user`'s last tab is about to be closed: its `Remove` is timed from here and is
    /// early when it comes before.
    func lastTabClosing(user: Int) {
        state.withLock { $0.lastClosed[user] = .now() }
    }

    /// Users whose `Add` arrived so far.
    var addedUsers: Int { state.withLock { $0.addCount.count { $0 > 0 } } }

    /// Users whose `Remove` arrived so far.
    var removedUsers: Int { state.withLock { $0.removeCount.count { $0 > 0 } } }

    /// One event the server sent the watcher (the part after `42`); only `newOnlineUser` counts.
    func watcherEvent(_ arguments: ArraySlice<UInt8>) {
        let now = NIODeadline.now()
        guard arguments.starts(with: Self.newOnlineUser) else { return }
        guard let array = try? JSONSerialization.jsonObject(with: Data(arguments)) as? [Any], array.count >= 2,
              let payload = array[1] as? [String: Any], let type = payload["type"] as? String,
              let id = payload["userID"] as? String, let user = Int(id), (0..<users).contains(user)
        else {
            state.withLock { $0.strays += 1 }
            return
        }
        state.withLock { state in
            switch type {
            case "Add":
                state.addCount[user] += 1
                state.lastAdd = now
            case "Remove":
                state.removeCount[user] += 1
                guard state.removeCount[user] == 1 else { return }
                if let closed = state.lastClosed[user] {
                    state.removeDelay.record(UInt64(max(0, (now - closed).nanoseconds / 1000)))
                } else {
                    state.earlyRemoves += 1
                }
            default:
                state.strays += 1
            }
        }
    }

    /// The figures so far.
    func result() -> Result {
        state.withLock { state in
            var addSeconds = 0.0
            if let start = state.addStart, let last = state.lastAdd, last > start {
                addSeconds = Double((last - start).nanoseconds) / 1e9
            }
            let duplicates = zip(state.addCount, state.removeCount).count { $0 > 1 || $1 > 1 }
            return Result(users: users, adds: state.addCount.count { $0 > 0 }, addSeconds: addSeconds,
                          removes: state.removeCount.count { $0 > 0 }, removeDelay: state.removeDelay,
                          earlyRemoves: state.earlyRemoves, duplicates: duplicates, strays: state.strays)
        }
    }

    /// How a `newOnlineUser` event packet begins.
    private static let newOnlineUser = Array("[\"newOnlineUser\"".utf8)
}
