import Bus
import Contracts
import Foundation
import Testing

private let add = Route(ns: "/", event: "add")

extension TestBus {
    /// A client configuration for this bus, as `instance`.
    func clientConfiguration(_ instance: String) -> BusClient.Configuration {
        var configuration = BusClient.Configuration(instance: instance)
        configuration.bus = connectionConfiguration
        return configuration
    }
}

/// A `calc` service written on a ``BusClient``: announces `/ add` and answers each event with an
/// ack carrying the sum of its integer arguments, on the event's `replyTo`.
private final class Calculator: Sendable {
    let client: BusClient
    let task: Task<Void, Never>

    init(on bus: TestBus, instance: String = "calc-1", helloIntervalMilliseconds: Int = 1000) throws {
        var configuration = bus.clientConfiguration(instance)
        configuration.usesInbox = false
        configuration.subscriptions = [.exact(Topic.service("calc"))]
        var announcement = BusClient.Announcement(service: "calc")
        announcement.handles = [add]
        configuration.announcement = announcement
        configuration.helloIntervalMilliseconds = helloIntervalMilliseconds
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let handlers = BusClient.Handlers(messages: { batch in
            for request in batch where request.header.type == .event {
                let sum = ((try? request.decodeBody(as: [JSON].self)) ?? []).compactMap(\.intValue).reduce(0, +)
                let header = BusHeader(type: .reply, from: instance, re: request.header.id)
                let answer = [Instruction.ack(Ack(sid: request.header.sid ?? "", args: [.int(sum)]))]
                guard let reply = try? Envelope(topic: request.header.replyTo ?? Topic.edge, header: header,
                                                encoding: answer) else { continue }
                client.publish(reply)
            }
        })
        self.client = client
        task = Task { await client.run(handlers) }
    }

    func stop() async {
        await client.shutdown()
        await task.value
    }
}

/// An `add` event from `client` whose reply comes back on its inbox.
private func addEvent(from client: BusClient, _ numbers: [Int]) -> Envelope {
    var header = BusHeader(type: .event, from: client.instance)
    header.ns = add.ns
    header.event = add.event
    header.sid = "sid-1"
    header.ack = true
    header.replyTo = client.inbox
    return Envelope(topic: "", header: header, body: Data("\(numbers)".utf8))
}

/// Collects the hellos said on a bus, from a plain connection.
private func helloListener(on bus: TestBus) throws -> (BusConnection, Collector) {
    let connection = try bus.connect(.exact(Topic.hello))
    return (connection, Collector(connection))
}

@Suite("BusClient", .serialized)
struct BusClientTests {
    @Test("a request is routed by the service's hello and its reply comes back on the inbox")
    func requestReply() async throws {
        let bus = try TestBus()
        let calculator = try Calculator(on: bus)
        var configuration = bus.clientConfiguration("client-1")
        // No retry within the test: what the client publishes can be counted.
        configuration.delivery.retryIntervalMilliseconds = 60_000
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        #expect(client.inbox == "inbox.client-1")
        let handedOn = Recorder<Envelope>()
        let handlers = BusClient.Handlers(messages: { batch in batch.forEach(handedOn.add) })
        let running = Task { await client.run(handlers) }

        #expect(await client.waitForRoute(add, timeout: .seconds(10)) == "calc")
        #expect(client.isReady, "a listening client is ready once it heard a hello")
        #expect(!client.isAnnounced)
        let request = addEvent(from: client, [1, 2, 39])
        let reply = try await client.request(request, route: add)
        #expect(reply.header.type == .reply)
        #expect(reply.header.re == request.header.id)
        #expect(reply.topic == "inbox.client-1")
        #expect(try reply.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [42]))])
        let second = try await client.request(addEvent(from: client, [5]), service: "calc")
        #expect(try second.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [5]))])
        #expect(client.pendingCount == 0)

        // The inbox's replies are the client's; the hellos are handed on after being noted.
        #expect(handedOn.values.allSatisfy { $0.header.type != .reply })
        #expect(handedOn.values.contains { $0.header.type == .hello && $0.header.from == "calc-1" })
        // A listening client says nothing: its two events are all it published.
        #expect(client.connection.statistics.published == 2)

        await client.shutdown()
        await running.value
        await calculator.stop()
        #expect(await bus.stop(closing: []))
    }

    @Test("an announcing client probes every 100 ms, hears itself, then says ready hellos every interval")
    func announces() async throws {
        let bus = try TestBus()
        let (listener, hellos) = try helloListener(on: bus)
        var configuration = bus.clientConfiguration("chat-1")
        var announcement = BusClient.Announcement(service: "chat")
        announcement.handles = [add, Route(ns: "http", event: "GET /api/x")]
        announcement.life = [.connected, .left]
        configuration.announcement = announcement
        configuration.helloIntervalMilliseconds = 200
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        #expect(!client.isReady)
        let running = Task { await client.run() }

        #expect(await client.waitUntilReady(timeout: .seconds(10)))
        #expect(client.isAnnounced, "without a start-up step the client announces as soon as it heard itself")
        #expect(await eventually { hellos.all.filter { $0.header.from == "chat-1" }.count(where: isReady) >= 4 })
        let said = try hellos.all.filter { $0.header.from == "chat-1" }.map { try $0.decodeBody(as: Hello.self) }
        // Probes, if the listener caught any, come first; every hello after the first ready one is ready.
        let firstReady = try #require(said.firstIndex { $0.ready })
        #expect(said[..<firstReady].allSatisfy { !$0.ready })
        #expect(said[firstReady...].allSatisfy { $0.ready })
        let hello = said[firstReady]
        #expect(hello.service == "chat")
        #expect(hello.instance == "chat-1")
        #expect(hello.handles == announcement.handles)
        #expect(hello.life == [.connected, .left])
        #expect(hello.interval == 200)
        #expect(abs(hello.started - Clock.millisecondsSinceEpoch()) < 60_000)
        // The client hears its own hellos too: it is in its own directory, with its routes.
        #expect(client.directory.service(for: add) == "chat")
        #expect(client.directory.isAvailable("chat"))

        // Ready hellos go out about every 200 ms, not every 100 ms.
        let readyTimes = hellos.all.filter { $0.header.from == "chat-1" && isReady($0) }.map(\.header.ts)
        let gaps = zip(readyTimes.dropFirst(2), readyTimes.dropFirst(1)).map { $0 - $1 }
        #expect(!gaps.isEmpty && gaps.allSatisfy { $0 >= 150 }, "gaps between ready hellos: \(gaps)")

        await client.shutdown()
        await running.value
        #expect(await bus.stop(closing: [listener]))
    }

    @Test("with a start-up step the client keeps probing after it heard itself, until announceReady")
    func startUpStep() async throws {
        let bus = try TestBus()
        let (listener, hellos) = try helloListener(on: bus)
        var configuration = bus.clientConfiguration("call-1")
        var announcement = BusClient.Announcement(service: "call")
        announcement.waitsForStartUp = true
        configuration.announcement = announcement
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let running = Task { await client.run() }

        #expect(await client.waitUntilReady(timeout: .seconds(10)))
        try await Task.sleep(for: .milliseconds(300))
        #expect(!client.isAnnounced)
        let probes = hellos.all.filter { $0.header.from == "call-1" }
        #expect(probes.count >= 2)
        #expect(!probes.contains(where: isReady), "no ready hello before the start-up step ends")
        #expect(!client.directory.isAvailable("call"), "probes do not make an instance live")

        client.announceReady()
        #expect(client.isAnnounced)
        #expect(await eventually { hellos.all.contains { $0.header.from == "call-1" && isReady($0) } })
        #expect(await eventually { client.directory.isAvailable("call") })

        await client.shutdown()
        await running.value
        #expect(await bus.stop(closing: [listener]))
    }

    @Test("a new instance is reported once; one that stops saying hello is reported gone")
    func newAndGoneInstances() async throws {
        let bus = try TestBus()
        var configuration = bus.clientConfiguration("listener-1")
        configuration.helloIntervalMilliseconds = 50
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let arrived = Recorder<String>()
        let gone = Recorder<String>()
        let handlers = BusClient.Handlers(newInstance: { arrived.add($0.instance) },
                                          gone: { instances in instances.forEach { gone.add($0.hello.instance) } })
        let running = Task { await client.run(handlers) }

        // Hellos every 200 ms: gone after 600 ms of silence, which a loaded machine does not reach
        // while the calculator runs.
        let calculator = try Calculator(on: bus, instance: "calc-7", helloIntervalMilliseconds: 200)
        #expect(await eventually { client.directory.isAvailable("calc") })
        try await Task.sleep(for: .milliseconds(500))
        #expect(arrived.values == ["calc-7"], "several hellos of one instance make one new instance")
        #expect(gone.values.isEmpty)

        await calculator.stop()
        // Three missed hellos, found by the listener's own upkeep every 50 ms.
        #expect(await eventually(within: 5) { gone.values == ["calc-7"] })
        #expect(!client.directory.isAvailable("calc"))
        #expect(client.directory.service(for: add) == "calc", "routes outlive their instances")

        await client.shutdown()
        await running.value
        #expect(await bus.stop(closing: []))
    }

    @Test("with nobody answering, the clock wakes for each request and times it out")
    func clockWakesAndTimesOut() async throws {
        let bus = try TestBus()
        var configuration = bus.clientConfiguration("client-2")
        configuration.delivery.retryIntervalMilliseconds = 100
        configuration.delivery.maxAgeMilliseconds = 400
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let running = Task { await client.run() }

        // Twice: the clock goes back to sleep after the first times out and must wake again.
        for round in 1...2 {
            let started = ContinuousClock.now
            do throws(DeliveryFailure) {
                _ = try await client.request(addEvent(from: client, [round]), service: "calc")
                Issue.record("a request without a responder got a reply")
            } catch {
                guard case .timedOut(let elapsed, let attempts) = error else {
                    Issue.record("expected timedOut, got \(error)")
                    continue
                }
                #expect(elapsed >= 400)
                #expect(attempts >= 2, "the retry after 100 ms is the clock's")
                #expect(ContinuousClock.now - started < .seconds(5))
            }
            #expect(client.pendingCount == 0)
            try await Task.sleep(for: .milliseconds(200))
        }

        await client.shutdown()
        await running.value
        #expect(await bus.stop(closing: []))
    }

    @Test("shutdown fails waiting events with closed, refuses new ones and ends run")
    func shutdownIsClean() async throws {
        let bus = try TestBus()
        var configuration = bus.clientConfiguration("client-3")
        configuration.delivery.retryIntervalMilliseconds = 60_000
        configuration.delivery.maxAgeMilliseconds = 60_000
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let runEnded = Recorder<Bool>()
        let running = Task {
            await client.run()
            runEnded.add(true)
        }
        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        client.send(addEvent(from: client, [1]), service: "calc") { results.add($0) }
        client.send(addEvent(from: client, [2]), service: "calc") { results.add($0) }
        #expect(client.pendingCount == 2)

        await client.shutdown()
        #expect(results.values == [.failure(.closed), .failure(.closed)])
        #expect(await eventually(within: 5) { runEnded.values == [true] }, "run did not return after shutdown")
        await running.value
        client.send(addEvent(from: client, [3]), service: "calc") { results.add($0) }
        #expect(results.values.last == .failure(.closed))
        #expect(client.pendingCount == 0)
        // A publish after shutdown goes nowhere and does not crash.
        let published = client.connection.statistics.published
        client.publish(addEvent(from: client, [4]))
        #expect(client.connection.statistics.published == published)
        await client.shutdown()
        #expect(await bus.stop(closing: []))
    }

    @Test("cancelling run fails waiting events but leaves the connection open for publishing")
    func cancelledRunKeepsConnection() async throws {
        let bus = try TestBus()
        let (listener, heard) = (try bus.connect(.exact("news")), Recorder<String>())
        let reader = Task { for await envelope in listener.messages { heard.add(envelope.header.id) } }
        var configuration = bus.clientConfiguration("client-4")
        configuration.delivery.maxAgeMilliseconds = 60_000
        let client = try BusClient(configuration: configuration, logger: quietLogger)
        let running = Task { await client.run() }
        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        client.send(addEvent(from: client, [1]), service: "calc") { results.add($0) }

        running.cancel()
        await running.value
        #expect(results.values == [.failure(.closed)])
        let news = message("news")
        #expect(await repeatUntil({ client.publish(news) }, { heard.values.contains(news.header.id) }))

        await client.shutdown()
        #expect(await bus.stop(closing: [listener]))
        await reader.value
    }

    @Test("take keeps the inbox's replies and those it waited for, and hands on the rest in order, noting hellos")
    func takeByHand() async throws {
        let bus = try TestBus()
        // Nothing runs: messages are fed by hand, as the edge's tests do.
        let client = try BusClient(configuration: bus.clientConfiguration("client-5"), logger: quietLogger)
        let hello = try Envelope(topic: Topic.hello, header: BusHeader(type: .hello, from: "calc-1"),
                                 encoding: Hello(service: "calc", instance: "calc-1", started: 0, ready: true,
                                                 handles: [add], life: [], interval: 1000))
        #expect(!client.isReady)
        #expect(client.take([hello]) == [hello])
        #expect(client.isReady)
        #expect(client.directory.service(for: add) == "calc")

        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        let request = addEvent(from: client, [1])
        client.send(request, route: add) { results.add($0) }
        var answer = message("inbox.client-5", type: .reply)
        answer.header.re = request.header.id
        var stray = message("inbox.client-5", type: .reply)
        stray.header.re = "someone-else"
        let emit = message(Topic.edge, type: .emit)
        var elsewhere = message(Topic.edge, type: .reply)
        elsewhere.header.re = "another-one"
        #expect(client.take([emit, answer, stray, elsewhere]) == [emit, elsewhere])
        #expect(results.values == [.success(answer)])
        #expect(client.take([emit]) == [emit])

        // Without an inbox, a reply this client waited for goes to its completion alone; every
        // other reply is handed on (an edge carries out the instructions of replies others asked for).
        var configuration = bus.clientConfiguration("edge-5")
        configuration.usesInbox = false
        let edge = try BusClient(configuration: configuration, logger: quietLogger)
        #expect(edge.inbox == nil)
        #expect(edge.take([hello]) == [hello])
        let edgeResults = Recorder<Result<Envelope, DeliveryFailure>>()
        let asked = addEvent(from: edge, [2])
        edge.send(asked, route: add) { edgeResults.add($0) }
        var mine = message("edge.edge-5", type: .reply)
        mine.header.re = asked.header.id
        #expect(edge.take([answer, mine, stray]) == [answer, stray])
        #expect(edgeResults.values == [.success(mine)])
        #expect(edge.take([mine]) == [mine], "a repeated reply is no longer waited for: handed on")

        await client.shutdown()
        await edge.shutdown()
        #expect(await bus.stop(closing: []))
    }
}

private func isReady(_ envelope: Envelope) -> Bool {
    (try? envelope.decodeBody(as: Hello.self))?.ready ?? false
}
