import ArgumentParser

/// `switchboard-bench`: measurements of the platform, or of any Socket.IO server, on this machine.
@main
struct SwitchboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench",
        abstract: "Measure the bus, a Socket.IO server, presence, chat or calls on this machine.",
        subcommands: [SocketIOBenchCommand.self, SummaryCommand.self, BusBenchCommand.self, EdgeBenchCommand.self,
                      PresenceBenchCommand.self, ChatBenchCommand.self, CallBenchCommand.self]
    )
}
