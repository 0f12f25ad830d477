import ServiceLifecycle

/// The bus bridge's message pump as a service of the edge's group: it runs before the listeners
/// open and stops after they closed (a group shuts its services down in reverse order), so the
/// replies of the last events still reach their sockets. Then the bus connection closes, its
/// queued messages (the last life facts) given the linger time.
struct EdgeBusPump: Service {
    /// The bus bridge.
    let bus: EdgeBus
    /// Where what the bus brings goes.
    let hub: EdgeHub

    /// Pumps until graceful shutdown (or cancellation), then closes the bus connection.
    func run() async {
        await cancelWhenGracefulShutdown {
            await bus.run(hub: hub)
        }
        await bus.close()
    }
}
