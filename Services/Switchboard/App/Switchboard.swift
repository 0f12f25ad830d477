import ArgumentParser
import SwitchboardKit

/// `switchboard`: the operator's tool. Watches the bus, lists services, sends events, seeds, makes keys.
/// The benchmarks are the separate `switchboard-bench`.
@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch and drive the Switchboard bus.",
        subcommands: [TraceCommand.self, StatusCommand.self, SendCommand.self, SeedCommand.self, KeysCommand.self]
    )
}
