import ArgumentParser
import Bus
import Foundation
import Logging
import ServiceKit

/// Where the bus is and which key to use, for `switchboard` and `switchboard-bench`: defaults
/// from `BUS_PUBLISH` / `BUS_SUBSCRIBE` / `BUS_KEY`, else the standard ports and the operator's key.
public struct BusOptions: ParsableArguments, Sendable {
    /// The bus's XSUB endpoint; default `BUS_PUBLISH`, else `tcp://127.0.0.1:5550`.
    @Option(help: "The bus's XSUB endpoint (where messages are published).")
    public var publish = ProcessInfo.processInfo.environment["BUS_PUBLISH"] ?? "tcp://127.0.0.1:5550"

    /// The bus's XPUB endpoint; default `BUS_SUBSCRIBE`, else `tcp://127.0.0.1:5551`.
    @Option(help: "The bus's XPUB endpoint (where messages are received).")
    public var subscribe = ProcessInfo.processInfo.environment["BUS_SUBSCRIBE"] ?? "tcp://127.0.0.1:5551"

    /// The key file; default `BUS_KEY` (or `BUS_SECRET_KEY` and its companions), else
    /// `operator.key` in the key folder (bus-protocol §17).
    @Option(help: "The bus key file (default: BUS_KEY, else operator.key in the key folder).")
    public var key: String?

    /// The level of the tool's own log messages on standard error; default `warning`.
    @Option(help: "Log level of the tool's own messages (on standard error).")
    public var logLevel = "warning"

    /// The defaults above.
    public init() {}

    /// Sets up logging and returns a connection configuration for these endpoints.
    public func connectionConfiguration() -> BusConnection.Configuration {
        ServiceConfiguration.bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .warning)
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = publish
        configuration.subscribeEndpoint = subscribe
        configuration.keys = key.map(BusKeySource.file) ?? .environment(name: "operator")
        return configuration
    }

    /// Sets up logging and returns a bus client configuration for these endpoints, as `instance`
    /// (listening to hellos, replies on `inbox.<instance>`, announcing nothing).
    public func clientConfiguration(instance: String) -> BusClient.Configuration {
        var configuration = BusClient.Configuration(instance: instance)
        configuration.bus = connectionConfiguration()
        return configuration
    }
}

/// Writes a line to standard output at once (the trace and the benchmarks are often piped).
public func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Milliseconds on a monotonic clock since `start`.
public func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
