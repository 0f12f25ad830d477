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
            await answer(envelope, on: connection)
        case .life:
            await observe(envelope, on: connection)
        case .reply, .emit:
            break
        }
    }

    /// Becomes ready when our own hello came back: our subscriptions are live.
    private func noteHello(_ envelope: Envelope, on connection: BusConnection) {
        guard envelope.header.from == configuration.instance else { return }
        let becameReady = ready.withLock { isReady -> Bool in
            if isReady { return false }
            isReady = true
            return true
        }
        if becameReady {
            logger.info("ready: heard our own hello back", metadata: ["instance": "\(configuration.instance)"])
            connection.publish(helloEnvelope(ready: true))
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
            let (reply, stored) = await run(envelope, logger: logger, connection: connection)
            if !stored { try await dedup.record(reply, for: header.id) }
            publishReply(reply, to: header, on: connection)
        } catch {
            logger.error("dedup store failed: \(error)")
            publishReply(StoredReply(body: Data("[]".utf8), error: "INTERNAL_ERROR"), to: header, on: connection)
        }
    }

    /// Runs the handler; `stored` tells whether ``Context/write(_:)`` already stored the reply.
    private func run(_ envelope: Envelope, logger: Logger,
                     connection: BusConnection) async -> (reply: StoredReply, stored: Bool) {
        let header = envelope.header
        guard let handler = definition.handlers[Route(ns: header.ns ?? "/", event: header.event ?? "")] else {
            logger.warning("no handler for this event")
            return (StoredReply(body: Data("[]".utf8), error: "UNKNOWN_EVENT"), false)
        }
        let args: [JSON]
        do {
            args = try envelope.decodeBody(as: [JSON].self)
        } catch {
            logger.warning("event body is not an argument list: \(error)")
            return (StoredReply(body: Data("[]".utf8), error: "BAD_REQUEST"), false)
        }
        let context = makeContext(eventID: header.id, logger: logger, connection: connection)
        do {
            let instructions = try await handler(Event(header: header, args: args, attachments: envelope.attachments),
                                                 context)
            let body = try JSONCoding.encode(instructions)
            return (StoredReply(body: body, error: nil), context.recorded.isSet)
        } catch {
            logger.error("handler failed: \(error)")
            return (StoredReply(body: Data("[]".utf8), error: "INTERNAL_ERROR"), false)
        }
    }

    /// Life facts: the handler's instructions go out as an `emit`.
    private func observe(_ envelope: Envelope, on connection: BusConnection) async {
        guard let kind = envelope.header.event.flatMap(LifeFactKind.init(rawValue:)),
              let handler = definition.lifeHandlers[kind] else { return }
        let context = makeContext(eventID: nil, logger: logger, connection: connection)
        do {
            let args = try envelope.decodeBody(as: [JSON].self)
            let instructions = try await handler(Event(header: envelope.header, args: args), context)
            if !instructions.isEmpty { context.emit(instructions) }
        } catch {
            logger.error("life handler failed: \(error)", metadata: ["fact": "\(kind.rawValue)"])
        }
    }

    private func makeContext(eventID: String?, logger: Logger, connection: BusConnection) -> Context {
        let instance = configuration.instance
        return Context(logger: logger, instance: instance, database: database, eventID: eventID) { instructions in
            guard let envelope = try? Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: instance),
                                               encoding: instructions) else { return }
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
        connection.publish(Envelope(topic: event.replyTo ?? Topic.edge, header: header, body: reply.body))
    }
}
