// `bus`: the XSUB/XPUB forwarder every other process connects to, with CurveZMQ on both sides.
//
// Environment (defaults in brackets):
//   BUS_PUBLISH      where publishers connect (XSUB)                       [tcp://127.0.0.1:5550]
//   BUS_SUBSCRIBE    where subscribers connect (XPUB)                      [tcp://127.0.0.1:5551]
//   BUS_KEYS         the key folder: bus.key and roles (`switchboard keys`) [$SWITCHBOARD_DATA/keys]
//   SWITCHBOARD_DATA the data folder                                       [data]
//   LOG_LEVEL        trace … critical                                      [info]
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
let keys = BusKeyFolder(path: BusKeyFolder.path(environment))
guard FileManager.default.fileExists(atPath: keys.serverKeyPath) else {
    logger.critical("no bus key at \(keys.serverKeyPath): run `switchboard keys` first (deploy/run does)")
    exit(1)
}
configuration.keyFolder = keys.path

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
