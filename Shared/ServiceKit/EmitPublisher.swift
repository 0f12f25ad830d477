import Bus
import Foundation
import GRDB
import Logging
import Synchronization

/// Publishes the ``EmitOutbox`` of a service with a database and forgets what reached the bus.
///
/// - After a commit that stored emits, their messages are handed to the bus in the commit's
///   order (by the runtime, with the rest of a batch's output, or by ``publish(_:on:)``) with a
///   mark (``BusClient/publishMarked(_:)``). Their rows stay until the bus client reports that
///   mark reached the bus (its own hello, published after them, came back: ``reached(_:)``), and
///   are then deleted, all that reached it in one write. A process killed before that, while
///   libzmq still held the messages, publishes them again at its next start.
/// - At start (``publishLeftovers(on:)``, before the start-up step) every row an earlier run left is
///   published again, oldest first, and deleted the same way.
/// - On graceful shutdown, when closing the connection took less than its linger time (so
///   libzmq sent everything queued), the rows still waiting are deleted (``closed(within:)``).
///
/// A row whose deletion fails stays and is published again at the next start (logged).
final class EmitPublisher: Sendable {
    private let database: any DatabaseWriter
    private let instance: String
    private let logger: Logger
    /// The ids of the published emits not yet known to have reached the bus, with their marks,
    /// oldest first.
    private let waiting = Mutex<[(mark: UInt64, ids: [String])]>([])

    /// A publisher of `database`'s durable emits, as `instance`.
    init(database: any DatabaseWriter, instance: String, logger: Logger) {
        self.database = database
        self.instance = instance
        self.logger = logger
    }

    /// Publishes `envelopes` (a batch's output) on `client` in order, in one hand-off; the rows
    /// of the stored emits `stored` among them are deleted once they reached the bus.
    func publish(_ envelopes: [Envelope], stored: [String], on client: BusClient) {
        guard !envelopes.isEmpty else { return }
        guard !stored.isEmpty else { return client.publish(envelopes) }
        // Under the lock, so that marks are appended in the order they were given out.
        waiting.withLock { waiting in
            waiting.append((client.publishMarked(envelopes), stored))
        }
    }

    /// Publishes committed `emits` on `client` in order; their rows go once they reached the bus.
    func publish(_ emits: [PendingEmit], on client: BusClient) {
        publish(emits.map { $0.envelope(from: instance) }, stored: emits.map(\.id), on: client)
    }

    /// The bus client heard that everything marked up to `mark` reached the bus: deletes the
    /// rows of those emits.
    func reached(_ mark: UInt64) async {
        let ids = waiting.withLock { waiting -> [String] in
            let count = waiting.prefix { $0.mark <= mark }.count
            defer { waiting.removeFirst(count) }
            return waiting.prefix(count).flatMap(\.ids)
        }
        await forget(ids)
    }

    /// The connection closed after `elapsed`, its linger time being `linger`: sooner means libzmq
    /// sent every queued message, so the rows still waiting go; otherwise they stay for the next
    /// start to publish again (logged).
    func closed(within elapsed: Duration, linger: Duration) async {
        let ids = waiting.withLock { waiting -> [String] in
            defer { waiting.removeAll() }
            return waiting.flatMap(\.ids)
        }
        guard !ids.isEmpty else { return }
        guard elapsed < linger else {
            logger.warning("the bus took the whole linger time; durable emits kept for the next start",
                           metadata: ["emits": "\(ids.count)"])
            return
        }
        await forget(ids)
    }

    /// Deletes the rows of emits that reached the bus, also when called from a cancelled task (a
    /// shutdown).
    private func forget(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        let database = database
        do {
            try await Task { try await database.write { db in try EmitOutbox.remove(ids, in: db) } }.value
        } catch {
            logger.error("durable emits published but not deleted; the next start publishes them again: \(error)",
                         metadata: ["emits": "\(ids.count)"])
        }
    }

    /// Publishes what an earlier run stored and never deleted (it stopped before its emits were
    /// known to have reached the bus), oldest first, with the ids and `ts` they were stored with.
    func publishLeftovers(on client: BusClient) async {
        let leftovers: [PendingEmit]
        do {
            leftovers = try await database.read(EmitOutbox.pending)
        } catch {
            logger.error("cannot read the durable emits an earlier run left: \(error)")
            return
        }
        guard !leftovers.isEmpty else { return }
        logger.notice("publishing the durable emits an earlier run left", metadata: ["emits": "\(leftovers.count)"])
        publish(leftovers, on: client)
    }
}
