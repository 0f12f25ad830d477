import Bus
import Contracts
import Foundation
import Logging

extension ServiceRuntime {
    /// Runs the gone handlers for instances that missed three hellos (the bus client's
    /// ``BusClient/Handlers/gone``). Each runs like a batch of one message: its writes in a
    /// transaction of its own, its instructions emitted once that committed, durably when it
    /// wrote (stored with its writes, docs/bus-protocol.md §12).
    func reportGone(_ instances: [ServiceDirectory.Instance], on client: BusClient) async {
        for instance in instances {
            guard let handler = definition.goneHandlers[instance.hello.service] else { continue }
            logger.warning("an instance went silent", metadata: ["instance": "\(instance.hello.instance)"])
            let header = BusHeader(type: .life, from: instance.hello.instance)
            await runBatch(usingDatabase: true, on: client) { transaction, outputs in
                let context = self.makeContext(for: header, index: 0, transaction: transaction, outputs: outputs)
                do {
                    let argument = try JSONCoding.decode(JSON.self, from: JSONCoding.encode(instance.hello))
                    let instructions = try await handler(Event(header: header, args: [argument]), context)
                    if !instructions.isEmpty { context.emit(instructions, attachments: context.reply.attachments) }
                } catch {
                    self.logger.error("gone handler failed: \(error)")
                }
                return context.reply.hasWritten ? [0] : []
            }
        }
    }
}
