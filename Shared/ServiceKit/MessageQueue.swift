import Bus
import Synchronization

/// The messages waiting for a service's handler loop: the bus's reader appends every batch it
/// receives, the loop takes all that waits (up to a limit) at once, so a loop that fell behind
/// catches up in big batches rather than one message at a time.
final class MessageQueue: Sendable {
    /// Yields after appends, at most one pending: the loop then takes until the queue is empty.
    let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let waiting = Mutex<[Envelope]>([])

    /// An empty queue.
    init() {
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Appends `envelopes` in order and wakes the loop.
    func append(_ envelopes: [Envelope]) {
        guard !envelopes.isEmpty else { return }
        waiting.withLock { $0.append(contentsOf: envelopes) }
        wakeup.yield()
    }

    /// The oldest `limit` waiting messages, or `nil` when none waits.
    func take(upTo limit: Int) -> [Envelope]? {
        waiting.withLock { waiting -> [Envelope]? in
            guard !waiting.isEmpty else { return nil }
            guard waiting.count > limit else {
                defer { waiting.removeAll(keepingCapacity: true) }
                return waiting
            }
            defer { waiting.removeFirst(limit) }
            return Array(waiting.prefix(limit))
        }
    }

    /// No more messages will come: the loop ends once it took what waits.
    func finish() {
        wakeup.finish()
    }
}
