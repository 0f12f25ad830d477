import ArgumentParser
import Bus
import Contracts
import Foundation
import Logging
import SwitchboardKit

/// `switchboard trace`: one line per bus message, live.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Print every bus message as it passes (hellos only with --hello).",
        discussion: """
            Filters combine (all must match). A reply is shown when the event it answers was shown.
            The trace never slows the bus: its own receive queue is small, and when it falls behind
            it loses its own lines (the count is printed at the end).
            """
    )

    @OptionGroup var bus: BusOptions
    @Flag(help: "One JSON object per line.") var json = false
    @Flag(help: "Also show the hello every process sends every second.") var hello = false
    @Option(help: "Only messages to or from this service (topic svc.NAME, or sent by NAME-…).") var service: String?
    @Option(help: "Only this event name (client events, and emits of it).") var event: String?
    @Option(help: "Only messages of this user id (sender, or emit/join target).") var user: String?
    @Option(help: "Only messages about this room (emit targets, joins, leaves, life facts).") var room: String?
    @Option(help: "Only messages of this socket id.") var sid: String?
    @Option(help: "Only topics starting with this text.") var topic: String?
    @Option(help: "Stop after this many lines.") var count: Int?
    @Option(help: "Stop after this many seconds.") var duration: Double?

    func run() async throws {
        var configuration = bus.connectionConfiguration()
        configuration.socketOptions.receiveHighWaterMark = 10_000
        configuration.receiveBufferLimit = 10_000
        let connection = try BusConnection(configuration: configuration, logger: Logger(label: "trace"))
        connection.subscribe(.prefix(topic ?? ""))
        let filter = TraceFilter(service: service, event: event, user: user, room: room, sid: sid,
                                 topic: topic, showHello: hello)
        let deadline = duration.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        if let deadline {
            Task {
                try? await Task.sleep(until: deadline)
                await connection.close()
            }
        }
        var printed = 0
        var correlation = TraceCorrelation()
        for await envelope in connection.messages {
            let elapsed = correlation.note(envelope)
            guard filter.matches(envelope) || correlation.answersShown(envelope) else { continue }
            correlation.shown(envelope)
            let line = TraceLine(envelope: envelope, elapsedMilliseconds: elapsed)
            emitLine(json ? line.json : line.text)
            printed += 1
            if let count, printed >= count { break }
        }
        let dropped = connection.statistics.dropped
        if dropped > 0 { FileHandle.standardError.write(Data("trace: \(dropped) lines lost (too slow)\n".utf8)) }
        await connection.close()
    }
}

/// Remembers when events were seen, to show how long their reply took, and which were shown.
struct TraceCorrelation {
    private var seen: [String: ContinuousClock.Instant] = [:]
    private var order: [String] = []
    private var shownIDs: Set<String> = []
    private let limit = 100_000

    /// Records an event; for a reply, returns milliseconds since its event.
    mutating func note(_ envelope: Envelope) -> Double? {
        let header = envelope.header
        if header.type == .event {
            if seen[header.id] == nil {
                seen[header.id] = .now
                order.append(header.id)
                if order.count > limit {
                    let old = order.removeFirst()
                    seen[old] = nil
                    shownIDs.remove(old)
                }
            }
            return nil
        }
        guard header.type == .reply, let re = header.re, let start = seen[re] else { return nil }
        return milliseconds(since: start)
    }

    /// `true` for a reply to an event that was shown.
    func answersShown(_ envelope: Envelope) -> Bool {
        envelope.header.type == .reply && envelope.header.re.map(shownIDs.contains) == true
    }

    /// Marks an event as shown.
    mutating func shown(_ envelope: Envelope) {
        if envelope.header.type == .event { shownIDs.insert(envelope.header.id) }
    }
}
