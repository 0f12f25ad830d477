import Bus
import Contracts
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The console's reader of the bus, run in the service group: hands every received message to
/// the state, says hello (as a process with no routes), and closes a second of figures every
/// second. On graceful shutdown it tells the open pages' streams to end, then says goodbye to
/// the bus.
struct BusWatcher: Service {
    let context: ConsoleContext

    func run() async throws {
        let client = context.client
        let state = context.state
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await client.run(BusClient.Handlers(messages: { batch in state.ingest(batch) }))
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
}
