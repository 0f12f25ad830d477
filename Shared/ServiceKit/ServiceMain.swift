import Foundation
import Logging
import ServiceLifecycle

/// The body of every service's `main.swift`: configuration from the environment, logging,
/// a `ServiceGroup` with the runtime, graceful shutdown on SIGTERM and SIGINT.
public enum ServiceMain {
    /// Runs `definition` until SIGTERM/SIGINT; exits the process with status 1 if it cannot start.
    public static func run(_ definition: ServiceDefinition,
                           environment: [String: String] = ProcessInfo.processInfo.environment) async
    {
        let configuration = ServiceConfiguration(service: definition.name, environment: environment)
        ServiceConfiguration.bootstrapLogging(level: configuration.logLevel)
        let logger = Logger(label: definition.name)
        do {
            let runtime = try ServiceRuntime(definition: definition, configuration: configuration, logger: logger)
            let group = ServiceGroup(services: [runtime], gracefulShutdownSignals: [.sigterm, .sigint],
                                     logger: logger)
            try await group.run()
        } catch {
            logger.critical("cannot run: \(error)")
            exit(1)
        }
    }
}
