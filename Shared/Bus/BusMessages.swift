import Synchronization

/// How many received messages wait for their consumer: added to by the bus thread, taken from
/// by the consumer, so that ``BusConnection/Configuration/receiveBufferLimit`` counts messages
/// whichever way they are read.
final class ReceiveBacklog: Sendable {
    let count = Atomic<Int>(0)
}

/// The received messages of a ``BusConnection`` as the bus thread found them: one array per
/// wake-up, in arrival order. A consumer that handles messages together (a service's batch,
/// an edge applying replies) reads this; one that handles them one by one reads
/// ``BusConnection/messages``. A connection is read one way, once.
public struct BusBatches: AsyncSequence, Sendable {
    /// One wake-up's messages, never empty.
    public typealias Element = [Envelope]

    let stream: AsyncStream<[Envelope]>
    let backlog: ReceiveBacklog

    /// Reads the batches in order; ends when the connection is closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<[Envelope]>.Iterator
        let backlog: ReceiveBacklog

        /// The next batch, or `nil` once the connection closed and everything was read.
        public mutating func next() async -> [Envelope]? {
            await next(isolation: nil)
        }

        /// The next batch, read on the caller's actor.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> [Envelope]? {
            guard let batch = await base.next(isolation: actor) else { return nil }
            backlog.count.wrappingSubtract(batch.count, ordering: .relaxed)
            return batch
        }
    }

    /// An iterator over the batches.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), backlog: backlog)
    }
}

/// The received messages of a ``BusConnection``, one at a time, in arrival order.
public struct BusMessages: AsyncSequence, Sendable {
    /// One received message.
    public typealias Element = Envelope

    let batches: BusBatches

    /// Reads the messages in order; ends when the connection is closed.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: BusBatches.AsyncIterator
        var buffer: [Envelope] = []
        var index = 0

        /// The next message, or `nil` once the connection closed and everything was read.
        public mutating func next() async -> Envelope? {
            await next(isolation: nil)
        }

        /// The next message, read on the caller's actor.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> Envelope? {
            while index == buffer.count {
                guard let batch = await base.next(isolation: actor) else { return nil }
                buffer = batch
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    /// An iterator over the messages.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: batches.makeAsyncIterator())
    }
}
