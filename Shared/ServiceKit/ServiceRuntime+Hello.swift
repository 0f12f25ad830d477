import Bus
import Contracts
import Foundation
import Logging

extension ServiceRuntime {
    /// Notes every hello in the directory; our own hello coming back means our subscriptions
    /// are live.
    func noteHello(_ envelope: Envelope, on connection: BusConnection) {
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
}
