import Bus
import Contracts
import Foundation
import Logging
import ServiceLifecycle

/// The `edge` process: configuration, logging, the server, graceful shutdown on SIGTERM.
public enum EdgeApp {
    /// Runs the edge until SIGTERM/SIGINT; exits with status 1 when it cannot start.
    ///
    /// Environment: `EDGE_CONFIG`, `EDGE_JWT_SECRET`, `EDGE_SESSION_SECRET`, `EDGE_PORT` (see
    /// ``EdgeConfiguration``), `BUS_PUBLISH`, `BUS_SUBSCRIBE`, `LOG_LEVEL`.
    public static func run(environment: [String: String] = ProcessInfo.processInfo.environment) async {
        let level = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "edge")
        do {
            let configuration = try EdgeConfiguration.load(environment: environment)
            var busConfiguration = BusConnection.Configuration()
            busConfiguration.publishEndpoint = environment["BUS_PUBLISH"] ?? busConfiguration.publishEndpoint
            busConfiguration.subscribeEndpoint = environment["BUS_SUBSCRIBE"] ?? busConfiguration.subscribeEndpoint
            let instance = environment["SERVICE_INSTANCE"] ?? "edge-\(MessageID.shortSuffix())"
            let bus = try EdgeBus(configuration: busConfiguration, delivery: configuration.delivery,
                                  instance: instance, logger: logger)
            let authorizer = await Authorizer(configuration: configuration)
            let server = EdgeServer(configuration: configuration, bus: bus, authorizer: authorizer, logger: logger)
            let group = ServiceGroup(services: server.services, gracefulShutdownSignals: [.sigterm, .sigint],
                                     logger: logger)
            do {
                try await group.run()
            } catch {
                await server.stopLoops()
                throw error
            }
            await server.stopLoops()
        } catch {
            logger.critical("cannot run the edge: \(error)")
            exit(1)
        }
    }
}
