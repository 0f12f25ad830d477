import ArgumentParser
import Bus
import Contracts
import Foundation
import Logging

/// How `switchboard seed` and the benchmarks give a seed document (docs/seed.md) to every
/// service that announced ("", "seed") on the bus.
public enum SeedDelivery {
    /// Gives `document` to every service whose hello announces ("", "seed") within `waitMs`,
    /// waits up to `timeoutMs` for each answer and reports one line per service; returns how
    /// many services did not answer ok. Throws `ExitCode(3)` when no service takes seeds.
    public static func deliver(_ document: JSON, bus: BusOptions, waitMs: Int, timeoutMs: Int,
                               report: @escaping @Sendable (String) -> Void) async throws -> Int
    {
        var configuration = bus.clientConfiguration(instance: "switchboard-\(MessageID.shortSuffix())")
        configuration.delivery.maxAgeMilliseconds = Int64(timeoutMs)
        let client = try BusClient(configuration: configuration, logger: Logger(label: "seed"))
        let instance = client.instance
        let running = Task { await client.run() }
        defer { running.cancel() }

        // Every service heard within the wait that announces ("", "seed").
        let route = Route(ns: "", event: "seed")
        let start = ContinuousClock.now
        var services: [String] = []
        while milliseconds(since: start) < Double(waitMs) {
            try await Task.sleep(for: .milliseconds(50))
            services = Set(client.directory.instances.values.map(\.hello).filter { $0.handles.contains(route) }
                .map(\.service)).sorted()
            // Every live process says hello each second: after 1.2 s all of them have been heard.
            if !services.isEmpty && milliseconds(since: start) >= 1200 { break }
        }
        guard !services.isEmpty else {
            report("no service takes seeds (none announced \"\" seed within \(waitMs) ms)")
            await client.shutdown()
            throw ExitCode(3)
        }

        var failures = 0
        await withTaskGroup(of: (String, Result<Envelope, DeliveryFailure>).self) { group in
            for service in services {
                var header = BusHeader(type: .event, from: instance)
                header.ns = ""
                header.event = "seed"
                header.ack = true
                header.sid = "\(instance)-\(service)"
                header.replyTo = Topic.inbox(instance)
                let envelope: Envelope
                do {
                    envelope = try Envelope(topic: "", header: header, encoding: [document])
                } catch {
                    failures += 1
                    continue
                }
                group.addTask {
                    let result = await withCheckedContinuation { waiter in
                        client.send(envelope, service: service) { waiter.resume(returning: $0) }
                    }
                    return (service, result)
                }
            }
            for await (service, result) in group {
                switch result {
                case .failure(let failure):
                    failures += 1
                    report("\(service): FAILED \(failure.code)")
                case .success(let reply):
                    if let error = reply.header.error {
                        failures += 1
                        report("\(service): FAILED \(error)")
                        continue
                    }
                    let answer = Self.ackArgument(of: reply)
                    if answer?["ok"]?.boolValue == false {
                        failures += 1
                        report("\(service): REFUSED \(answer?["error"]?.stringValue ?? answer?.jsonText ?? "")")
                    } else {
                        report("\(service): ok \(answer?.jsonText ?? "")")
                    }
                }
            }
        }
        await client.shutdown()
        return failures
    }

    /// The first argument of the reply's `ack` instruction, if it has one.
    public static func ackArgument(of reply: Envelope) -> JSON? {
        guard let instructions = try? reply.decodeBody(as: [Instruction].self) else { return nil }
        for instruction in instructions {
            if case .ack(let ack) = instruction { return ack.args.first }
        }
        return nil
    }
}
