import ServiceLifecycle

/// The edge's sampled metrics (events waiting for a service) as a service of the edge's group:
/// one sample a second until graceful shutdown.
struct EdgeMetricsSampler: Service {
    /// The bus, whose pending count is sampled.
    let bus: any EdgeBusPort
    /// The metrics it is written to.
    let metrics: EdgeMetrics

    /// Samples every second until graceful shutdown (or cancellation).
    func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                metrics.pendingEvents(bus.pendingCount)
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
