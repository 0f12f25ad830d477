import Bus
import Contracts
import Foundation
import Synchronization

/// What a batch's messages decided to publish, in order: replies and emits, each with the
/// position of the message that made it (its owner), held until the batch's transaction
/// committed.
final class BatchOutputs: Sendable {
    private struct Item {
        var owner: Int
        var envelope: Envelope?
        /// For a reply: the event it answers, its reply, and whether to remember it.
        var reply: (event: BusHeader, reply: StoredReply)?
    }

    private let items = Mutex<[Item]>([])

    /// Adds the reply `reply` to the event of `event`.
    func reply(_ reply: StoredReply, to event: BusHeader, from instance: String, owner: Int) {
        let envelope = Self.replyEnvelope(reply, to: event, from: instance)
        items.withLock { $0.append(Item(owner: owner, envelope: envelope, reply: (event, reply))) }
    }

    /// Adds an `emit` of `instructions` on topic `edge`.
    func emit(_ instructions: [Instruction], attachments: [Data], traceparent: String?, from instance: String,
              owner: Int) {
        var header = BusHeader(type: .emit, from: instance)
        header.traceparent = traceparent
        guard let envelope = try? Envelope(topic: Topic.edge, header: header, encoding: instructions,
                                           attachments: attachments) else { return }
        items.withLock { $0.append(Item(owner: owner, envelope: envelope, reply: nil)) }
    }

    /// The batch's transaction did not commit: the replies of `owners` become `INTERNAL_ERROR`
    /// (and are not remembered), their emits are dropped.
    func fail(owners: Set<Int>, from instance: String) {
        guard !owners.isEmpty else { return }
        items.withLock { items in
            for index in items.indices where owners.contains(items[index].owner) {
                if let (event, _) = items[index].reply {
                    let failure = StoredReply.failure("INTERNAL_ERROR")
                    items[index].envelope = Self.replyEnvelope(failure, to: event, from: instance)
                    items[index].reply = (event, failure)
                } else {
                    items[index].envelope = nil
                }
            }
        }
    }

    /// Everything to publish, in order, and the successful replies to remember by event id.
    func take() -> (envelopes: [Envelope], remembered: [(id: String, reply: StoredReply)]) {
        let taken = items.withLock { items in
            defer { items.removeAll() }
            return items
        }
        let remembered = taken.compactMap { item -> (id: String, reply: StoredReply)? in
            guard let (event, reply) = item.reply, reply.error == nil else { return nil }
            return (event.id, reply)
        }
        return (taken.compactMap(\.envelope), remembered)
    }

    /// The reply message for `event` (section 12 of the bus protocol): a new id, `re` the
    /// event's id, the event's trace, namespace, name, socket and edge, and the reply's error,
    /// on the topic its instructions call for (the event's `replyTo`, or `edge` when every edge
    /// must carry the reply out): from the reply's known reach (``StoredReply/reaches``), else
    /// from its body (``BusHeader/replyTopic(body:)``).
    static func replyEnvelope(_ reply: StoredReply, to event: BusHeader, from instance: String) -> Envelope {
        var header = BusHeader(type: .reply, from: instance, re: event.id)
        header.traceparent = event.traceparent
        header.ns = event.ns
        header.event = event.event
        header.sid = event.sid
        header.edge = event.edge
        header.error = reply.error
        let topic = reply.reaches.map { event.replyTopic(reaches: $0) } ?? event.replyTopic(body: reply.body)
        return Envelope(topic: topic, header: header, body: reply.body,
                        attachments: reply.attachments)
    }
}
