import Bus
import Contracts
import Foundation
import Synchronization

/// The one place an edge numbers its life facts: one epoch per process run and one sequence for
/// every fact of every event loop, so that a service can tell a missed fact from none
/// (docs/bus-protocol.md §7, "life").
///
/// A number is taken and the message handed to the bus in one step under one lock, so that the
/// facts leave in the order of their numbers whichever loop published them; a hello reads
/// ``position`` under the same lock, so every fact it counts was handed over before it.
final class LifeStream: Sendable {
    /// This edge's instance id: the `edge` of every fact.
    let edge: String
    /// This run's epoch: milliseconds since the Unix epoch when the stream was made.
    let epoch: Int64
    /// The number of the last fact handed to the bus.
    private let last = Mutex<UInt64>(0)

    /// A stream for `edge`, its epoch now.
    init(edge: String, epoch: Int64 = Clock.millisecondsSinceEpoch()) {
        self.edge = edge
        self.epoch = epoch
    }

    /// The last fact handed over: what the edge's hello says (`lifeStream`) and the stamp a
    /// loop's part of a snapshot is taken at.
    var position: LifeStamp {
        LifeStamp(epoch: epoch, seq: last.withLock { $0 })
    }

    /// Numbers `fact` with the next sequence and hands it to `send` (the bus client's queue,
    /// which keeps the order), under the lock.
    func publish(_ fact: LifeFact, via send: (Envelope) -> Void) {
        last.withLock { last in
            let record = LifeRecord(edge: edge, stamp: LifeStamp(epoch: epoch, seq: last + 1), fact: fact)
            guard let envelope = try? Envelope(topic: Topic.life, header: record.header(), encoding: record.body)
            else { return }
            last += 1
            send(envelope)
        }
    }

    /// Publishes a snapshot answering the resync request `re`. It takes no number: its stamp
    /// says which facts it already holds (every loop's part was taken at `stamp` or later).
    func publishSnapshot(_ sockets: [LifeSocket], stamp: LifeStamp, re: String?, via send: (Envelope) -> Void) {
        let record = LifeRecord(edge: edge, stamp: stamp, fact: .snapshot(sockets))
        guard let envelope = try? Envelope(topic: Topic.life, header: record.header(re: re), encoding: record.body)
        else { return }
        send(envelope)
    }
}
