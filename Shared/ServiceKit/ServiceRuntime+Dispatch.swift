import Bus
import Contracts
import Foundation
import Logging

extension ServiceRuntime {
    /// Handles one received message.
    func process(_ envelope: Envelope, on connection: BusConnection) async {
        switch envelope.header.type {
        case .hello:
            noteHello(envelope, on: connection)
        case .event:
            // Before the start-up step is done, events are left for their publishers to send
            // again: they do so when this instance says hello.
            guard isReady else {
                logger.debug("event before start-up finished; left for re-publishing",
                             metadata: ["id": "\(envelope.header.id)"])
                return
            }
            await answer(envelope, on: connection)
        case .life:
            await observe(envelope, on: connection)
        case .reply, .emit:
            break
        }
    }

    /// Notes every hello in the directory; our own hello coming back means our subscriptions
    /// are live.
    private func noteHello(_ envelope: Envelope, on connection: BusConnection) {
        if let hello = try? envelope.decodeBody(as: Hello.self) {
            let now = monotonicNow
            _ = directory.withLock { $0.heard(hello, at: now) }
        }
        guard envelope.header.from == configuration.instance else { return }
        let becameReady = ready.withLock { isReady -> Bool in
            if isReady { return false }
            isReady = true
            return true
        }
        if becameReady {
            logger.info("ready: heard our own hello back", metadata: ["instance": "\(configuration.instance)"])
        }
    }

    /// Runs the gone handlers for instances that missed three hellos.
    func reportGoneInstances(on connection: BusConnection) async {
        let now = monotonicNow
        let gone = directory.withLock { $0.expire(at: now) }
        for instance in gone {
            guard let handler = definition.goneHandlers[instance.hello.service] else { continue }
            logger.warning("an instance went silent", metadata: ["instance": "\(instance.hello.instance)"])
            let context = makeContext(eventID: nil, traceparent: nil, logger: logger, connection: connection)
            let header = BusHeader(type: .life, from: instance.hello.instance)
            do {
                let argument = try JSONCoding.decode(JSON.self, from: JSONCoding.encode(instance.hello))
                let instructions = try await handler(Event(header: header, args: [argument]), context)
                context.emit(instructions, attachments: context.reply.attachments)
            } catch {
                logger.error("gone handler failed: \(error)")
            }
        }
    }

    /// Answers an event exactly once: a repeat gets the stored reply without running the handler.
    private func answer(_ envelope: Envelope, on connection: BusConnection) async {
        let header = envelope.header
        var logger = self.logger
        logger[metadataKey: "event"] = "\(header.event ?? "-")"
        logger[metadataKey: "id"] = "\(header.id)"
        do {
            if let stored = try await dedup.reply(for: header.id) {
                logger.debug("repeated event answered from the store")
                publishReply(stored, to: header, on: connection)
                return
            }
            let (reply, alreadyStored) = await run(envelope, logger: logger, connection: connection)
            // Error replies are not remembered: nothing was done, so a repeat may try again.
            if !alreadyStored && reply.error == nil { try await dedup.record(reply, for: header.id) }
            publishReply(reply, to: header, on: connection)
        } catch {
            logger.error("dedup store failed: \(error)")
            publishReply(.failure("INTERNAL_ERROR"), to: header, on: connection)
        }
    }

    /// Runs the handler; `stored` tells whether ``Context/write(_:)`` already stored the reply,
    /// which is then the reply whatever the handler did afterwards.
    private func run(_ envelope: Envelope, logger: Logger,
                     connection: BusConnection) async -> (reply: StoredReply, stored: Bool) {
        let header = envelope.header
        guard let handler = definition.handlers[Route(ns: header.ns ?? "/", event: header.event ?? "")] else {
            logger.warning("no handler for this event")
            return (.failure("UNKNOWN_EVENT"), false)
        }
        let args: [JSON]
        do {
            args = try envelope.decodeBody(as: [JSON].self)
        } catch {
            logger.warning("event body is not an argument list: \(error)")
            return (.failure("BAD_REQUEST"), false)
        }
        let context = makeContext(eventID: header.id, traceparent: header.traceparent, logger: logger,
                                  connection: connection)
        let event = Event(header: header, args: args, attachments: envelope.attachments)
        do {
            let instructions = try await handler(event, context)
            let reply = StoredReply(body: try JSONCoding.encode(instructions), error: nil,
                                    attachments: context.reply.attachments)
            guard let stored = context.reply.storedReply else { return (reply, false) }
            if stored != reply { logger.error("handler returned other instructions than it wrote; the written ones stand") }
            return (stored, true)
        } catch {
            if let stored = context.reply.storedReply {
                logger.error("handler failed after its write committed; answering with what it wrote: \(error)")
                return (stored, true)
            }
            logger.error("handler failed: \(error)")
            return (.failure("INTERNAL_ERROR"), false)
        }
    }

    /// Life facts: the handler's instructions go out as an `emit`.
    private func observe(_ envelope: Envelope, on connection: BusConnection) async {
        guard let kind = envelope.header.event.flatMap(LifeFactKind.init(rawValue:)),
              let handler = definition.lifeHandlers[kind] else { return }
        let context = makeContext(eventID: nil, traceparent: envelope.header.traceparent, logger: logger,
                                  connection: connection)
        do {
            let args = try envelope.decodeBody(as: [JSON].self)
            let instructions = try await handler(Event(header: envelope.header, args: args), context)
            if !instructions.isEmpty { context.emit(instructions, attachments: context.reply.attachments) }
        } catch {
            logger.error("life handler failed: \(error)", metadata: ["fact": "\(kind.rawValue)"])
        }
    }

    private func makeContext(eventID: String?, traceparent: String?, logger: Logger,
                             connection: BusConnection) -> Context {
        let instance = configuration.instance
        return Context(logger: logger, instance: instance, database: database, eventID: eventID,
                       traceparent: traceparent) { instructions, attachments, traceparent in
            var header = BusHeader(type: .emit, from: instance)
            header.traceparent = traceparent
            guard let envelope = try? Envelope(topic: Topic.edge, header: header, encoding: instructions,
                                               attachments: attachments) else { return }
            connection.publish(envelope)
        }
    }

    private func publishReply(_ reply: StoredReply, to event: BusHeader, on connection: BusConnection) {
        var header = BusHeader(type: .reply, from: configuration.instance, re: event.id)
        header.traceparent = event.traceparent
        header.ns = event.ns
        header.event = event.event
        header.sid = event.sid
        header.edge = event.edge
        header.error = reply.error
        connection.publish(Envelope(topic: event.replyTo ?? Topic.edge, header: header, body: reply.body,
                                    attachments: reply.attachments))
    }
}
