import Bus
import Logging
import ServiceLifecycle

/// Runs the ``BusProxy`` as a lifecycle service: forwarding until graceful shutdown.
struct BusProxyService: Service {
    let proxy: BusProxy

    func run() async throws {
        await withGracefulShutdownHandler {
            await proxy.run()
        } onGracefulShutdown: {
            proxy.terminate()
        }
    }
}
