import Bus
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The console's reader of the bus, run in the service group: hands every received message to
/// the state, says hello (as a process with no routes), asks each edge it hears of for a
/// snapshot of its sockets (so that sockets connected before the console started are known),
/// and closes a second of figures every second. On graceful shutdown it tells the open pages' streams to end, then says goodbye to
/// the bus.
struct BusWatcher: Service {
    let context: ConsoleContext

    func run() async throws {
        let client = context.client
        let state = context.state
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await client.run(BusClient.Handlers(messages: { batch in state.ingest(batch) },
                                                        newInstance: { hello in askForSnapshot(of: hello) }))
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        state.closeSecond()
                    }
                }
            }
        }
        context.stopping.set()
        let dropped = client.connection.statistics.dropped
        if dropped > 0 { context.logger.info("the console lost \(dropped) bus messages while behind") }
        await client.shutdown()
    }

    /// A `resync` event on `edge` naming a newly heard edge (docs/bus-protocol.md §7): the edge
    /// answers with a snapshot on `life`, which replaces what the console knew of it. Hearing the
    /// edge's hello means the console's subscriptions are in place, so the answer is not missed.
    private func askForSnapshot(of hello: Hello) {
        guard hello.service == "edge" else { return }
        context.client.connection.publish(.resync(asking: [hello.instance], from: context.client.instance))
    }
}
