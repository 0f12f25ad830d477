import Bus
import Contracts
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The `console` process: reads its settings (``ConsoleConfiguration``), its token, connects to
/// the bus and serves the page until SIGTERM or SIGINT, which end it gracefully.
public enum ConsoleMain {
    /// Runs the console; exits with status 1 when it cannot start.
    public static func run() async {
        let configuration = ConsoleConfiguration(environment: ProcessInfo.processInfo.environment)
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "console")
        do {
            let token = try ConsoleToken.loadOrCreate(path: configuration.tokenPath)
            if token.isNew {
                // Printed once, on the start that made it; afterwards it is read from the file.
                FileHandle.standardOutput.write(Data(
                    "console token: \(token.value) (kept in \(configuration.tokenPath), mode 0600)\n".utf8))
            }
            let context = try makeContext(configuration, token: token, logger: logger)
            let address = configuration.address
            let application = Application(
                router: ConsoleRoutes.router(context),
                configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                     serverName: "console"),
                onServerRunning: { _ in
                    FileHandle.standardOutput.write(Data("console listening on \(address) (open \(address)?token=TOKEN)\n".utf8))
                },
                logger: logger)
            // The watcher is shut down first (last in the list): it ends the pages' streams, so the
            // HTTP server then finds no request open.
            let group = ServiceGroup(services: [application, BusWatcher(context: context)],
                                     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        } catch {
            logger.critical("console cannot start: \(error)")
            exit(1)
        }
    }

    private static func makeContext(_ configuration: ConsoleConfiguration, token: ConsoleToken,
                                     logger: Logger) throws -> ConsoleContext {
        var client = BusClient.Configuration(instance: "console-\(MessageID.shortSuffix())")
        client.bus = configuration.bus
        client.bus.receiveBufferLimit = configuration.receiveBufferLimit
        client.bus.socketOptions.receiveHighWaterMark = Int32(configuration.receiveBufferLimit)
        client.subscriptions = [Subscription.prefix("")]
        let supervisor = SupervisorClient.make(url: configuration.supervisorURL, group: configuration.supervisorGroup)
        if case .failure(let reason) = supervisor { logger.info("restarts disabled: \(reason)") }
        return ConsoleContext(configuration: configuration, token: token, state: ConsoleState(configuration: configuration),
                              client: try BusClient(configuration: client, logger: logger),
                              supervisor: supervisor, logger: logger)
    }
}
