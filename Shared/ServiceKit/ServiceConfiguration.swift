import Bus
import Contracts
import Foundation
import Logging

/// A process's settings, read from the environment. Every variable is optional.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `BUS_PUBLISH` | the bus's XSUB endpoint | `tcp://127.0.0.1:5550` |
/// | `BUS_SUBSCRIBE` | the bus's XPUB endpoint | `tcp://127.0.0.1:5551` |
/// | `SWITCHBOARD_DATA` | folder of the SQLite files | `data` |
/// | `SERVICE_INSTANCE` | instance id | `<service>-<6 random hex digits>` |
/// | `HELLO_INTERVAL_MS` | milliseconds between two hellos | `1000` |
/// | `DEDUP_CAPACITY` | replies remembered by a service without a database | `100000` |
/// | `DEDUP_RETENTION_HOURS` | hours a stored reply is kept in SQLite | `24` |
/// | `BATCH_LIMIT` | messages handled together, with one transaction for their writes | `256` |
/// | `LOG_LEVEL` | `trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical` | `info` |
public struct ServiceConfiguration: Sendable {
    /// Service name, e.g. `chat`.
    public var service: String
    /// Instance id, unique per process start.
    public var instance: String
    /// Where the bus is.
    public var bus = BusConnection.Configuration()
    /// Folder of the SQLite files.
    public var dataDirectory = "data"
    /// Milliseconds between two hellos once ready (before that, probes go every 100 ms).
    public var helloIntervalMilliseconds = 1000
    /// Replies remembered in memory by a service without a database.
    public var dedupCapacity = 100_000
    /// Hours a stored reply is kept by a service with a database.
    public var dedupRetentionHours = 24
    /// Most messages handled as one batch (one transaction, one publish): bounds how long the
    /// first reply of a big backlog waits for the last handler of its batch.
    public var batchLimit = 256
    /// Log level.
    public var logLevel = Logger.Level.info

    /// The defaults for `service`.
    public init(service: String) {
        self.service = service
        instance = "\(service)-\(MessageID.shortSuffix())"
    }

    /// The settings for `service` from `environment` (usually the process's).
    public init(service: String, environment: [String: String]) {
        self.init(service: service)
        instance = environment["SERVICE_INSTANCE"] ?? instance
        bus.publishEndpoint = environment["BUS_PUBLISH"] ?? bus.publishEndpoint
        bus.subscribeEndpoint = environment["BUS_SUBSCRIBE"] ?? bus.subscribeEndpoint
        dataDirectory = environment["SWITCHBOARD_DATA"] ?? dataDirectory
        helloIntervalMilliseconds = environment["HELLO_INTERVAL_MS"].flatMap(Int.init) ?? helloIntervalMilliseconds
        dedupCapacity = environment["DEDUP_CAPACITY"].flatMap(Int.init) ?? dedupCapacity
        dedupRetentionHours = environment["DEDUP_RETENTION_HOURS"].flatMap(Int.init) ?? dedupRetentionHours
        batchLimit = max(1, environment["BATCH_LIMIT"].flatMap(Int.init) ?? batchLimit)
        logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? logLevel
    }

    /// Sends every process's logs to standard error at `level`, once per process.
    public static func bootstrapLogging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
