import Bus
import Contracts
import Foundation
import GRDB
import Logging

/// What start-up and background work of a service may use: the bus, the database, the
/// processes heard in hello.
public struct ServiceControl: Sendable {
    /// This process's instance id.
    public let instance: String
    /// The service's logger.
    public let logger: Logger
    /// The service's database, when it has one.
    public let database: (any DatabaseWriter)?
    let client: BusClient

    /// The live instances of `service` heard in hello, e.g. every edge.
    public func instances(of service: String) -> [Hello] {
        client.directory.instances.values.map(\.hello).filter { $0.service == service }
    }

    /// Publishes an `event` named `event` on `topic` that expects no reply (e.g. a presence
    /// resync request on `edge`, which edges answer with life facts).
    public func publishEvent(_ event: String, on topic: String, args: [JSON] = []) {
        var header = BusHeader(type: .event, from: instance)
        header.event = event
        guard let envelope = try? Envelope(topic: topic, header: header, encoding: args) else { return }
        client.publish(envelope)
    }

    /// Sends instructions as an `emit` on topic `edge`.
    public func emit(_ instructions: [Instruction], attachments: [Data] = []) {
        guard !instructions.isEmpty,
              let envelope = try? Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: instance),
                                           encoding: instructions, attachments: attachments)
        else { return }
        client.publish(envelope)
    }
}
