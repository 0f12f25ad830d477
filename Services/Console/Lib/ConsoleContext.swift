import Bus
import Contracts
import Foundation
import Logging
import Synchronization

/// What the console's routes share: its settings, token, state, bus client and supervisord.
public struct ConsoleContext: Sendable {
    /// The settings.
    public let configuration: ConsoleConfiguration
    /// The token every request must show.
    public let token: ConsoleToken
    /// What the console knows of the running system.
    public let state: ConsoleState
    /// The bus client: reads every message, sends test events.
    public let client: BusClient
    /// supervisord's API, or why restarts are disabled.
    public let supervisor: Result<SupervisorClient, SupervisorClient.Failure>
    /// The console's log.
    public let logger: Logger
    /// Set when the console shuts down: the pages' streams end.
    public let stopping = Stopping()

    /// A flag set once, read by the pages' streams.
    public final class Stopping: Sendable {
        private let flag = Atomic<Bool>(false)
        /// Sets the flag.
        public func set() { flag.store(true, ordering: .relaxed) }
        /// `true` once set.
        public var isSet: Bool { flag.load(ordering: .relaxed) }
    }

    /// A context of these parts.
    public init(configuration: ConsoleConfiguration, token: ConsoleToken, state: ConsoleState,
                client: BusClient, supervisor: Result<SupervisorClient, SupervisorClient.Failure>, logger: Logger) {
        self.configuration = configuration
        self.token = token
        self.state = state
        self.client = client
        self.supervisor = supervisor
        self.logger = logger
    }

    /// The counters the page shows under the table: messages received, and lost by the bus
    /// connection because the console was behind.
    func countersJSON() -> JSON {
        let statistics = client.connection.statistics
        return .object([
            "received": .int(Int64(state.receivedCount)),
            "busDropped": .int(Int64(statistics.dropped)),
        ])
    }

    /// Whether restarts are possible, why not, and the processes supervisord runs.
    func steerJSON() async -> JSON {
        switch supervisor {
        case .failure(let failure):
            return .object(["enabled": .bool(false), "reason": .string(failure.description), "processes": .array([])])
        case .success(let client):
            do {
                let names = try await client.processNames()
                return .object(["enabled": .bool(true), "processes": .array(names.map(JSON.string))])
            } catch {
                return .object(["enabled": .bool(false), "reason": .string(error.description), "processes": .array([])])
            }
        }
    }
}
