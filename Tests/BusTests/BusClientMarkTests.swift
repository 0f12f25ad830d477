import Bus
import Contracts
import Foundation
import Testing

/// An announcing client on `bus` saying ready hellos every `interval` milliseconds, whose
/// ``BusClient/Handlers/reached`` marks go to `reached`.
private func markingClient(on bus: TestBus, _ instance: String, interval: Int,
                           reached: Recorder<UInt64>) throws -> (BusClient, Task<Void, Never>)
{
    var configuration = bus.clientConfiguration(instance)
    configuration.announcement = BusClient.Announcement(service: "marks")
    configuration.helloIntervalMilliseconds = interval
    let client = try BusClient(configuration: configuration, logger: quietLogger)
    let running = Task { await client.run(BusClient.Handlers(reached: { reached.add($0) })) }
    return (client, running)
}

/// A message on a topic nobody reads.
private func note(from instance: String) -> Envelope {
    Envelope(topic: "nobody", header: BusHeader(type: .emit, from: instance), body: Data("[]".utf8))
}

@Suite("BusClient marks", .serialized)
struct BusClientMarkTests {
    @Test("a marked publication is reported as reached once a hello said after it came back, not before")
    func reachedAfterTheNextHello() async throws {
        let bus = try TestBus()

        // Ready hellos every minute: after the first one, none comes back during the test.
        let slowReached = Recorder<UInt64>()
        let (slow, slowRun) = try markingClient(on: bus, "slow-1", interval: 60_000, reached: slowReached)
        #expect(await slow.waitUntilReady(timeout: .seconds(10)))
        #expect(slow.isAnnounced)
        // The ready hello went out when the client heard its probe, and the hello pump says one
        // more as it ends its probing (within 100 ms); wait until both came back.
        #expect(await eventually { slow.directory.isAvailable("marks") })
        try await Task.sleep(for: .milliseconds(300))
        let first = slow.publishMarked([note(from: "slow-1")])
        let second = slow.publishMarked([note(from: "slow-1"), note(from: "slow-1")])
        #expect(first == 1 && second == 2, "marks count publications from 1")
        try await Task.sleep(for: .milliseconds(500))
        #expect(slowReached.values.allSatisfy { $0 < first }, "reported before any hello followed: \(slowReached.values)")

        // Hellos every 100 ms: the next one covers both publications.
        let fastReached = Recorder<UInt64>()
        let (fast, fastRun) = try markingClient(on: bus, "fast-1", interval: 100, reached: fastReached)
        #expect(await fast.waitUntilReady(timeout: .seconds(10)))
        let mark = fast.publishMarked([note(from: "fast-1")])
        _ = fast.publishMarked([note(from: "fast-1")])
        #expect(await eventually { fastReached.values.contains { $0 >= mark + 1 } })
        #expect(fastReached.values == fastReached.values.sorted(), "marks are reported in order")

        for (client, running) in [(slow, slowRun), (fast, fastRun)] {
            await client.shutdown()
            await running.value
        }
        #expect(await bus.stop(closing: []))
    }
}
