import Bus
import Contracts
import Foundation
import Synchronization

/// Everything a batch publishes, in the order its messages decided it: the replies and plain
/// emits of ``BatchOutputs``, and between them the durable emits (``PendingEmit``) of messages
/// that wrote, each where it was made. The durable emits are stored in the batch's transaction
/// before it commits (``durableEmits``, ``markStored()``) and forgotten once published.
final class BatchPublication: Sendable {
    private enum Segment {
        case outputs(BatchOutputs)
        case durable(owner: Int, emit: PendingEmit)
    }

    private struct State {
        var segments: [Segment] = []
        /// Where replies and plain emits go now; `nil` after a durable emit until the next one.
        var current: BatchOutputs?
        /// The durable emits are in the batch's transaction.
        var stored = false
    }

    private let instance: String
    private let state = Mutex(State())

    /// An empty publication of `instance`.
    init(instance: String) {
        self.instance = instance
    }

    /// Adds the reply `reply` to the event of `event`, made by message `owner`.
    func reply(_ reply: StoredReply, to event: BusHeader, owner: Int) {
        outputs().reply(reply, to: event, from: instance, owner: owner)
    }

    /// Adds an `emit` of `instructions` made by message `owner`: durable (stored with the batch's
    /// transaction, with an id of its own) when `durable`, else a plain one.
    func emit(_ instructions: [Instruction], attachments: [Data], traceparent: String?, owner: Int, durable: Bool) {
        guard durable, !instructions.isEmpty,
              let emit = try? PendingEmit(instructions, attachments: attachments, traceparent: traceparent)
        else {
            outputs().emit(instructions, attachments: attachments, traceparent: traceparent, from: instance, owner: owner)
            return
        }
        state.withLock { state in
            state.segments.append(.durable(owner: owner, emit: emit))
            state.current = nil
        }
    }

    /// The durable emits decided so far, in order: to be stored before the batch commits.
    var durableEmits: [PendingEmit] {
        state.withLock { state in
            state.segments.compactMap { if case .durable(_, let emit) = $0 { emit } else { nil } }
        }
    }

    /// The durable emits were stored in the batch's transaction: once published, their rows go.
    func markStored() {
        state.withLock { $0.stored = true }
    }

    /// The batch's transaction did not commit: the replies of `owners` become `INTERNAL_ERROR`,
    /// their emits, durable ones included, are dropped.
    func fail(owners: Set<Int>) {
        guard !owners.isEmpty else { return }
        state.withLock { state in
            state.segments.removeAll { if case .durable(let owner, _) = $0 { owners.contains(owner) } else { false } }
            for case .outputs(let outputs) in state.segments { outputs.fail(owners: owners, from: instance) }
        }
    }

    /// Everything to publish, in order; the successful replies to remember by event id; the ids
    /// of the stored durable emits among them, to forget once published.
    func take() -> (envelopes: [Envelope], remembered: [(id: String, reply: StoredReply)], stored: [String]) {
        let (segments, stored) = state.withLock { state in
            defer { state = State() }
            return (state.segments, state.stored)
        }
        var envelopes: [Envelope] = []
        var remembered: [(id: String, reply: StoredReply)] = []
        var published: [String] = []
        for segment in segments {
            switch segment {
            case .outputs(let outputs):
                let taken = outputs.take()
                envelopes += taken.envelopes
                remembered += taken.remembered
            case .durable(_, let emit):
                envelopes.append(emit.envelope(from: instance))
                if stored { published.append(emit.id) }
            }
        }
        return (envelopes, remembered, published)
    }

    /// The outputs that take the next reply or plain emit.
    private func outputs() -> BatchOutputs {
        state.withLock { state in
            if let current = state.current { return current }
            let next = BatchOutputs()
            state.segments.append(.outputs(next))
            state.current = next
            return next
        }
    }
}
