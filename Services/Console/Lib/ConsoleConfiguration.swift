import Bus
import Foundation
import Logging

/// The console's settings, from the environment:
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `CONSOLE_HOST` | address the HTTP server binds | `127.0.0.1` |
/// | `CONSOLE_PORT` | its port | `8080` |
/// | `CONSOLE_TOKEN_FILE` | the token file (mode 0600) | `<SWITCHBOARD_DATA>/console.token` |
/// | `SWITCHBOARD_DATA` | the data folder | `data` |
/// | `BUS_PUBLISH`, `BUS_SUBSCRIBE` | the bus's endpoints | `tcp://127.0.0.1:5550`, `…:5551` |
/// | `BUS_KEY` (or `BUS_SECRET_KEY` …) | the bus key | `console.key` in the key folder (role operator) |
/// | `SUPERVISOR_SERVER_URL`, `SUPERVISOR_GROUP_NAME` | set by supervisord (`deploy/run`): restarts go through its API | unset: restart disabled |
/// | `LOG_LEVEL` | log level | `info` |
public struct ConsoleConfiguration: Sendable {
    /// Address the HTTP server binds. Default `127.0.0.1` (this host only).
    public var host = "127.0.0.1"
    /// Port of the HTTP server. Default `8080`.
    public var port = 8080
    /// Where the token is kept. Default `data/console.token`.
    public var tokenPath = "data/console.token"
    /// The bus connection; its key is `console.key` unless the environment names one.
    public var bus = BusConnection.Configuration()
    /// Received messages waiting to be read before the connection drops newer ones and counts
    /// them. Default 20,000 (four seconds at 5,000 messages/s).
    public var receiveBufferLimit = 20_000
    /// Messages kept for the live table, newest last. Default 4,096.
    public var ringCapacity = 4096
    /// Lines sent to one page per push, the rest dropped and counted. Default 60 (5 pushes/s).
    public var linesPerPush = 60
    /// Milliseconds between two pushes of lines to a page. Default 200.
    public var pushIntervalMilliseconds = 200
    /// Seconds of plots kept. Default 300 (five minutes).
    public var historySeconds = 300
    /// Milliseconds after which an unanswered event counts as a delivery failure. Default 10,000.
    public var unansweredMilliseconds: Int64 = 10_000
    /// supervisord's XML-RPC socket (`unix://…`); `nil` when not run by supervisord.
    public var supervisorURL: String? = nil
    /// supervisord's group of the Procfile processes, e.g. `switchboard`.
    public var supervisorGroup: String? = nil
    /// The log level. Default `info`.
    public var logLevel = Logger.Level.info

    /// The defaults.
    public init() {
        bus.keys = .environment(name: "console")
    }

    /// The defaults overridden by `environment`.
    public init(environment: [String: String]) {
        self.init()
        host = environment["CONSOLE_HOST"] ?? host
        port = environment["CONSOLE_PORT"].flatMap(Int.init) ?? port
        tokenPath = environment["CONSOLE_TOKEN_FILE"] ?? "\(environment["SWITCHBOARD_DATA"] ?? "data")/console.token"
        bus.publishEndpoint = environment["BUS_PUBLISH"] ?? bus.publishEndpoint
        bus.subscribeEndpoint = environment["BUS_SUBSCRIBE"] ?? bus.subscribeEndpoint
        supervisorURL = environment["SUPERVISOR_SERVER_URL"]
        supervisorGroup = environment["SUPERVISOR_GROUP_NAME"]
        logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? logLevel
    }

    /// The address to print: `http://HOST:PORT/`.
    public var address: String { "http://\(host):\(port)/" }
}
