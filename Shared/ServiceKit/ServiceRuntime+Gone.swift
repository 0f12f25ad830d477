import Bus
import Contracts
import Foundation
import Logging

extension ServiceRuntime {
    /// Runs the gone handlers for instances that missed three hellos (the bus client's
    /// ``BusClient/Handlers/gone``).
    func reportGone(_ instances: [ServiceDirectory.Instance], on connection: BusConnection) async {
        for instance in instances {
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
