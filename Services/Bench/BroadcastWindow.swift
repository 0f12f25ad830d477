import Synchronization

/// How the sender of `switchboard-bench socketio --scenario room` is paced: it keeps
/// `--in-flight` broadcasts out at once, and a broadcast is done once every receiver got it.
final class BroadcastWindow: Sendable {
    /// Broadcasts each receiver must get before the next may go.
    let receivers: Int
    /// Receivers still waiting for each broadcast out, by sequence number.
    private let remaining = Mutex<[Int: Int]>([:])
    /// Called (on any thread) each time a broadcast reached every receiver.
    private let completed: @Sendable () -> Void

    /// A window of broadcasts to `receivers` sockets; `completed` lets the sender send the next.
    init(receivers: Int, completed: @escaping @Sendable () -> Void) {
        self.receivers = receivers
        self.completed = completed
    }

    /// The sender is about to send broadcast `sequence`.
    func sent(_ sequence: Int) {
        remaining.withLock { $0[sequence] = receivers }
    }

    /// One receiver got broadcast `sequence`; the last one lets the sender go on.
    func delivered(_ sequence: Int) {
        let done = remaining.withLock { remaining -> Bool in
            guard let left = remaining[sequence] else { return false }
            if left > 1 {
                remaining[sequence] = left - 1
                return false
            }
            remaining[sequence] = nil
            return true
        }
        if done { completed() }
    }
}
