import Bus
import Foundation
import GRDB
import Logging

/// Publishes the ``EmitOutbox`` of a service with a database and forgets what it published.
///
/// - After a commit that stored emits, their messages are handed to the bus in the commit's
///   order (by the runtime, with the rest of a batch's output, or by ``publish(_:on:)``) and then
///   deleted in a write of their own, at once: the shorter the time between the two, the smaller
///   the window in which a crash makes the next start publish an emit again.
/// - At start (``publishLeftovers(on:)``, before the start-up step) every row an earlier run left is
///   published again, oldest first, and deleted.
///
/// A row whose deletion fails stays and is published again at the next start (logged).
final class EmitPublisher: Sendable {
    private let database: any DatabaseWriter
    private let instance: String
    private let logger: Logger

    /// A publisher of `database`'s durable emits, as `instance`.
    init(database: any DatabaseWriter, instance: String, logger: Logger) {
        self.database = database
        self.instance = instance
        self.logger = logger
    }

    /// Publishes committed `emits` on `connection` in order, then forgets them.
    func publish(_ emits: [PendingEmit], on connection: BusConnection) async {
        guard !emits.isEmpty else { return }
        connection.publish(emits.map { $0.envelope(from: instance) })
        await forget(emits.map(\.id))
    }

    /// Deletes the rows of emits whose messages were handed to the bus.
    func forget(_ ids: [String]) async {
        guard !ids.isEmpty else { return }
        do {
            try await database.write { db in try EmitOutbox.remove(ids, in: db) }
        } catch {
            logger.error("durable emits published but not deleted; the next start publishes them again: \(error)",
                         metadata: ["emits": "\(ids.count)"])
        }
    }

    /// Publishes what an earlier run stored and never deleted (it stopped between a commit and the
    /// deletion), oldest first, with the ids and `ts` they were stored with.
    func publishLeftovers(on connection: BusConnection) async {
        let leftovers: [PendingEmit]
        do {
            leftovers = try await database.read(EmitOutbox.pending)
        } catch {
            logger.error("cannot read the durable emits an earlier run left: \(error)")
            return
        }
        guard !leftovers.isEmpty else { return }
        logger.notice("publishing the durable emits an earlier run left", metadata: ["emits": "\(leftovers.count)"])
        await publish(leftovers, on: connection)
    }
}
