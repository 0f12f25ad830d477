import ArgumentParser
import Bus
import Contracts
import Foundation
import Logging
import SwitchboardKit

/// `switchboard send`: publishes events through the delivery rules and reports their replies.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an event to whichever service announced it, and print the reply.",
        discussion: """
            ARGS is a JSON array of event arguments; {{i}} in it is replaced by the event's index.
            Events are routed by the (namespace, event) pairs services announce in hello; an event no
            service announced within --wait-ms is refused at once (UNKNOWN_EVENT). Waiting events are
            published again when their service restarts or every --retry-ms, and fail after --timeout-ms.
            """
    )

    @OptionGroup var bus: BusOptions
    @Argument(help: "Event name.") var event: String
    @Argument(help: "JSON array of arguments.") var args = "[]"
    @Option(help: "Socket.IO namespace.") var ns = "/"
    @Option(help: "Act as this user id (the header's identity).") var user: String?
    @Option(help: "How many events to send.") var count = 1
    @Option(help: "Events waiting for a reply at once.") var inFlight = 1
    @Option(help: "Milliseconds between two sends.") var intervalMs = 0
    @Option(help: "Milliseconds to wait for a service announcing the event.") var waitMs = 3000
    @Option(help: "Milliseconds before an unanswered event is published again.") var retryMs = 1000
    @Option(help: "Milliseconds before an unanswered event fails.") var timeoutMs = 10_000
    @Flag(help: "One JSON object per reply, then a summary object.") var json = false

    func run() async throws {
        var configuration = bus.clientConfiguration(instance: "switchboard-\(MessageID.shortSuffix())")
        configuration.delivery.retryIntervalMilliseconds = Int64(retryMs)
        configuration.delivery.maxAgeMilliseconds = Int64(timeoutMs)
        // The client subscribes to its inbox before hello: once a hello arrives, the inbox is live too.
        let client = try BusClient(configuration: configuration, logger: Logger(label: "send"))
        let instance = client.instance
        let running = Task { await client.run() }
        let route = Route(ns: ns, event: event)
        _ = await client.waitForRoute(route, timeout: .milliseconds(waitMs))
        let report = SendReport(json: json)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= inFlight { await group.next() }
                if intervalMs > 0 && index > 0 { try? await Task.sleep(for: .milliseconds(intervalMs)) }
                let envelope = makeEvent(index: index, instance: instance)
                group.addTask {
                    let start = ContinuousClock.now
                    let result = await withCheckedContinuation { waiter in
                        client.send(envelope, route: route) { waiter.resume(returning: $0) }
                    }
                    report.record(index: index, id: envelope.header.id, result: result,
                                  milliseconds: milliseconds(since: start))
                }
            }
        }
        report.finish()
        await client.shutdown()
        await running.value
        if report.failures > 0 { throw ExitCode(2) }
    }

    private func makeEvent(index: Int, instance: String) -> Envelope {
        var header = BusHeader(type: .event, from: instance)
        header.ns = ns
        header.event = event
        header.ack = true
        header.sid = "\(instance)-\(index)"
        header.replyTo = Topic.inbox(instance)
        header.user = user.map { Identity(id: $0) }
        let body = args.replacingOccurrences(of: "{{i}}", with: String(index))
        return Envelope(topic: "", header: header, body: Data(body.utf8))
    }
}
