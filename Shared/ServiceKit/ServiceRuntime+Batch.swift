import Bus
import Contracts
import Foundation
import Logging

extension ServiceRuntime {
    /// Handles one batch of received messages (all that was waiting, at most
    /// ``ServiceConfiguration/batchLimit``), in arrival order:
    ///
    /// 1. the ids of its events are looked up at once: in memory, then, for the events whose
    ///    handler is not declared pure, in SQLite (one read);
    /// 2. events and life facts are handled one after the other; every write of the
    ///    batch goes into one transaction, a savepoint per write (``BatchTransaction``); the
    ///    batch runs on a thread of its own that takes the database's writer at its first write
    ///    and holds it to the end, so that a write or a read costs no hand-off between threads;
    /// 3. the durable emits (what a handler emitted once it began a write) are stored in the
    ///    transaction, which then commits once (group commit); if the commit fails, every event
    ///    that wrote is answered `INTERNAL_ERROR` and what its handler emitted is dropped;
    /// 4. the replies and emits are published, in order, in one hand-off to the bus thread, and
    ///    the successful replies remembered in memory; the durable emits' rows are deleted once
    ///    they reached the bus (``EmitPublisher``).
    ///
    /// A batch of events whose handlers are all declared pure never takes the writer.
    func handle(_ batch: [Envelope], on client: BusClient) async {
        await runBatch(usingDatabase: mayUseDatabase(batch), on: client) { transaction, outputs in
            await self.handleMessages(of: batch, transaction: transaction, outputs: outputs, on: client)
        }
    }

    /// Runs `work` (which answers messages into the outputs it is given and returns the
    /// positions of those whose handlers wrote) in a ``BatchTransaction`` when the service has a
    /// database and `usingDatabase`; stores the durable emits in the transaction and commits it
    /// (when the commit fails, the messages that wrote are answered `INTERNAL_ERROR` and their
    /// emits dropped); publishes everything in order and remembers the successful replies. The
    /// durable emits' rows go once they reached the bus.
    func runBatch(usingDatabase: Bool, on client: BusClient,
                  _ work: @escaping @Sendable (BatchTransaction?, BatchPublication) async -> Set<Int>) async
    {
        let outputs = BatchPublication(instance: configuration.instance)
        let writers: Set<Int>
        if let database, usingDatabase {
            let failure: (any Error)?
            (writers, failure) = await BatchTransaction.run(on: database) { transaction in
                let writers = await work(transaction, outputs)
                await self.storeDurableEmits(of: outputs, in: transaction)
                return writers
            }
            if let failure, !writers.isEmpty {
                logger.error("the batch's transaction did not commit; its writes are answered INTERNAL_ERROR: \(failure)",
                             metadata: ["events": "\(writers.count)"])
                outputs.fail(owners: writers)
            }
        } else {
            writers = await work(nil, outputs)
        }
        let (envelopes, remembered, stored) = outputs.take()
        memory.record(remembered)
        if let emits { emits.publish(envelopes, stored: stored, on: client) } else { client.publish(envelopes) }
    }

    /// The messages of `batch`, answered in order into `outputs`; returns the positions of
    /// those whose handlers wrote.
    private func handleMessages(of batch: [Envelope], transaction: BatchTransaction?, outputs: BatchPublication,
                                on client: BusClient) async -> Set<Int>
    {
        let known = await lookUp(batch, in: transaction)
        // The replies decided in this batch, for a copy of an event that arrives in the same batch.
        var decided: [String: (owner: Int, reply: StoredReply)] = [:]
        var writers: Set<Int> = []
        for (index, envelope) in batch.enumerated() {
            let header = envelope.header
            switch header.type {
            case .event:
                // Before the start-up step is done, events are left for their publishers to send
                // again: they do so when this instance says hello.
                guard isReady else {
                    logger.debug("event before start-up finished; left for re-publishing",
                                 metadata: ["id": "\(header.id)"])
                    continue
                }
                if let earlier = decided[header.id] {
                    outputs.reply(earlier.reply, to: header, owner: earlier.owner)
                    continue
                }
                let reply: StoredReply
                switch known {
                case .success(let replies) where replies[header.id] != nil:
                    logger.debug("repeated event answered from the store", metadata: ["id": "\(header.id)"])
                    reply = replies[header.id]!
                case .success:
                    let context = makeContext(for: header, index: index, transaction: transaction, outputs: outputs)
                    reply = await run(envelope, context: context)
                    if context.reply.hasWritten { writers.insert(index) }
                case .failure(let error):
                    logger.error("dedup store failed: \(error)", metadata: ["id": "\(header.id)"])
                    reply = .failure("INTERNAL_ERROR")
                }
                decided[header.id] = (index, reply)
                outputs.reply(reply, to: header, owner: index)
            case .life, .hello:
                let context = makeContext(for: header, index: index, transaction: transaction, outputs: outputs)
                if let mirror {
                    // Hellos reach this queue only for the mirror (the bus client noted them already).
                    await feedMirror(envelope, mirror, context: context, on: client.connection)
                } else if header.type == .life {
                    await observe(envelope, context: context)
                }
                if context.reply.hasWritten { writers.insert(index) }
            case .reply, .emit:
                // Replies and emits are not for a service.
                break
            }
        }
        return writers
    }

    /// Whether handling `batch` may touch the database: anything but events of routes declared
    /// pure (whose replies are remembered in memory only) and messages that are not for a service.
    private func mayUseDatabase(_ batch: [Envelope]) -> Bool {
        batch.contains { envelope in
            switch envelope.header.type {
            case .event:
                !definition.pureRoutes.contains(Route(ns: envelope.header.ns ?? "/", event: envelope.header.event ?? ""))
            case .life, .hello: true
            case .reply, .emit: false
            }
        }
    }

    /// Stores the durable emits of `outputs` in `transaction` (before it commits).
    private func storeDurableEmits(of outputs: BatchPublication, in transaction: BatchTransaction) async {
        let durable = outputs.durableEmits
        guard !durable.isEmpty else { return }
        do {
            try await transaction.write { db in try EmitOutbox.store(durable, in: db) }
            outputs.markStored()
        } catch {
            logger.error("durable emits not stored; they are published without a copy: \(error)",
                         metadata: ["emits": "\(durable.count)"])
        }
    }

    /// The stored replies of the batch's events: memory first, then one SQLite read on the
    /// batch's connection for the rest whose handler is not declared pure (a batch without a
    /// transaction holds only those).
    private func lookUp(_ batch: [Envelope], in transaction: BatchTransaction?) async
        -> Result<[String: StoredReply], any Error>
    {
        let events = batch.filter { $0.header.type == .event }
        guard !events.isEmpty else { return .success([:]) }
        var found = memory.replies(for: events.map(\.header.id))
        guard let transaction else { return .success(found) }
        let unknown = events.filter { envelope in
            found[envelope.header.id] == nil
                && !definition.pureRoutes.contains(Route(ns: envelope.header.ns ?? "/", event: envelope.header.event ?? ""))
        }.map(\.header.id)
        guard !unknown.isEmpty else { return .success(found) }
        do {
            let stored = try await transaction.read { db in try SQLiteDedupStore.replies(for: unknown, in: db) }
            found.merge(stored) { memory, _ in memory }
            return .success(found)
        } catch {
            return .failure(error)
        }
    }

    /// Runs the handler; a reply stored by ``Context/write(_:)`` is the reply whatever the
    /// handler did afterwards. An event that asked for an acknowledgement gets the route's
    /// automatic `ack` when the handler's instructions answer none.
    private func run(_ envelope: Envelope, context: Context) async -> StoredReply {
        let header = envelope.header
        guard let handler = definition.handlers[Route(ns: header.ns ?? "/", event: header.event ?? "")] else {
            context.logger.warning("no handler for this event")
            return .failure("UNKNOWN_EVENT")
        }
        let args: [JSON]
        do {
            args = try envelope.decodeBody(as: [JSON].self)
        } catch {
            context.logger.warning("event body is not an argument list: \(error)")
            return .failure("BAD_REQUEST")
        }
        let event = Event(header: header, args: args, attachments: envelope.attachments)
        do {
            let instructions = context.answered(try await handler(event, context))
            guard let stored = writtenReply(context, header) else {
                return StoredReply(body: try JSONCoding.encode(instructions), error: nil,
                                   attachments: context.reply.attachments,
                                   reaches: instructions.contains { $0.reachesBeyond(socket: header.sid) })
            }
            if instructions != context.reply.storedInstructions {
                context.logger.error("handler returned other instructions than it wrote; the written ones stand")
            }
            return stored
        } catch {
            if let stored = writtenReply(context, header) {
                context.logger.error("handler failed after its write committed; answering with what it wrote: \(error)")
                return stored
            }
            context.logger.error("handler failed: \(error)")
            return .failure("INTERNAL_ERROR")
        }
    }

    /// The reply ``Context/write(_:)`` stored for the event of `header`, with its reach decided
    /// from the instructions it was encoded from (the database keeps only its bytes).
    private func writtenReply(_ context: Context, _ header: BusHeader) -> StoredReply? {
        guard var stored = context.reply.storedReply else { return nil }
        stored.reaches = context.reply.storedInstructions.contains { $0.reachesBeyond(socket: header.sid) }
        return stored
    }

    /// Life facts: the handler's instructions go out as an `emit`, after the batch.
    private func observe(_ envelope: Envelope, context: Context) async {
        guard let kind = envelope.header.event.flatMap(LifeFactKind.init(rawValue:)),
              let handler = definition.lifeHandlers[kind] else { return }
        do {
            let args = try envelope.decodeBody(as: [JSON].self)
            let instructions = try await handler(Event(header: envelope.header, args: args), context)
            if !instructions.isEmpty { context.emit(instructions, attachments: context.reply.attachments) }
        } catch {
            logger.error("life handler failed: \(error)", metadata: ["fact": "\(kind.rawValue)"])
        }
    }

    /// The context of message `index` of a batch: its writes go into the batch's transaction
    /// and its emits into the batch's outputs, durable from its first write on. An event that
    /// asked for an acknowledgement gets its route's automatic `ack`.
    func makeContext(for header: BusHeader, index: Int, transaction: BatchTransaction?,
                     outputs: BatchPublication) -> Context {
        let isEvent = header.type == .event
        let route = Route(ns: header.ns ?? "/", event: header.event ?? "")
        let reply = ReplyRecord()
        let automaticAck = isEvent && header.ack == true
            ? header.sid.map { Ack(sid: $0, args: definition.acks[route] ?? ServiceDefinition.successAck) } : nil
        return Context(logger: logger, eventName: isEvent ? header.event ?? "-" : nil, instance: configuration.instance,
                       database: database,
                       eventID: isEvent ? header.id : nil,
                       traceparent: header.traceparent, transaction: transaction,
                       isPure: isEvent && definition.pureRoutes.contains(route), reply: reply,
                       automaticAck: automaticAck) { instructions, attachments, traceparent in
            outputs.emit(instructions, attachments: attachments, traceparent: traceparent, owner: index,
                         durable: reply.hasWritten)
        }
    }
}
