import ArgumentParser
import Bus
import Foundation
import Logging
import ServiceKit

/// `switchboard`: the operator's tool. Watches the bus, lists services, sends events, measures.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch and drive the Switchboard bus.",
        subcommands: [TraceCommand.self, StatusCommand.self, SendCommand.self, SeedCommand.self, BenchCommand.self]
    )
}

/// Where the bus is; defaults from `BUS_PUBLISH` / `BUS_SUBSCRIBE`, else the standard ports.
struct BusOptions: ParsableArguments {
    @Option(help: "The bus's XSUB endpoint (where messages are published).")
    var publish = ProcessInfo.processInfo.environment["BUS_PUBLISH"] ?? "tcp://127.0.0.1:5550"

    @Option(help: "The bus's XPUB endpoint (where messages are received).")
    var subscribe = ProcessInfo.processInfo.environment["BUS_SUBSCRIBE"] ?? "tcp://127.0.0.1:5551"

    @Option(help: "Log level of the tool's own messages (on standard error).")
    var logLevel = "warning"

    /// Sets up logging and returns a connection configuration for these endpoints.
    func connectionConfiguration() -> BusConnection.Configuration {
        ServiceConfiguration.bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .warning)
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = publish
        configuration.subscribeEndpoint = subscribe
        return configuration
    }
}

/// Writes a line to standard output at once (the trace is often piped).
func emitLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Milliseconds on a monotonic clock since `start`.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}
