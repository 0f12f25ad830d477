// `bus`: the XSUB/XPUB forwarder every other process connects to.
//
// Environment (defaults in brackets):
//   BUS_PUBLISH    where publishers connect (XSUB)  [tcp://127.0.0.1:5550]
//   BUS_SUBSCRIBE  where subscribers connect (XPUB) [tcp://127.0.0.1:5551]
//   LOG_LEVEL      trace … critical                 [info]
import Bus
import Foundation
import Logging
import ServiceLifecycle

let environment = ProcessInfo.processInfo.environment
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    return handler
}
let logger = Logger(label: "bus")

var configuration = BusProxy.Configuration()
configuration.frontend = environment["BUS_PUBLISH"] ?? configuration.frontend
configuration.backend = environment["BUS_SUBSCRIBE"] ?? configuration.backend

let proxy: BusProxy
do {
    proxy = try BusProxy(configuration: configuration, logger: logger)
} catch {
    logger.critical("cannot start the bus: \(error)")
    exit(1)
}
let group = ServiceGroup(
    services: [BusProxyService(proxy: proxy)],
    gracefulShutdownSignals: [.sigterm, .sigint],
    logger: logger
)
try await group.run()
logger.info("bus stopped")
