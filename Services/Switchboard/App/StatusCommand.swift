import ArgumentParser
import Bus
import Contracts
import Foundation
import Logging
import SwitchboardKit

/// `switchboard status`: the processes heard in `hello`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the services and instances announcing themselves on the bus."
    )

    @OptionGroup var bus: BusOptions
    @Flag(help: "One JSON object per instance.") var json = false
    @Option(help: "Seconds to listen for hellos (processes say hello every second).") var wait = 2.5

    func run() async throws {
        let connection = try BusConnection(configuration: bus.connectionConfiguration(), logger: Logger(label: "status"))
        connection.subscribe(.exact(Topic.hello))
        let wait = self.wait
        Task {
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            await connection.close()
        }
        var heard: [String: Hello] = [:]
        for await envelope in connection.messages {
            if let hello = try? envelope.decodeBody(as: Hello.self) { heard[hello.instance] = hello }
        }
        let now = Clock.millisecondsSinceEpoch()
        let instances = heard.values.sorted { ($0.service, $0.instance) < ($1.service, $1.instance) }
        if json {
            for hello in instances {
                var object = (try? JSONCoding.decode(JSON.self, from: JSONCoding.encode(hello)))?.objectValue ?? [:]
                object["uptimeMs"] = .int(now - hello.started)
                emitLine(JSON.object(object).jsonText)
            }
            return
        }
        if instances.isEmpty {
            emitLine("no process heard on \(bus.subscribe) within \(wait) s")
            return
        }
        let rows = instances.map { hello in
            [hello.service, hello.instance, hello.ready ? "yes" : "starting", Self.uptime(now - hello.started),
             hello.handles.map(\.description).joined(separator: ", ") +
                (hello.life.isEmpty ? "" : "  life: " + hello.life.map(\.rawValue).joined(separator: ","))]
        }
        let header = ["SERVICE", "INSTANCE", "READY", "UPTIME", "HANDLES"]
        let widths = (0..<4).map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            let padded = (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
            emitLine((padded + [row[4]]).joined(separator: "  "))
        }
    }

    static func uptime(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
        return "\(seconds / 3600)h\(seconds % 3600 / 60)m"
    }
}
