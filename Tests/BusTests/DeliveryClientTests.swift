import Bus
import Contracts
import Foundation
import Testing

private typealias Bounds = PendingTable<DeliveryClient.Completion>.Configuration

private func bounds(retry: Int64, maxAge: Int64) -> Bounds {
    var bounds = Bounds()
    bounds.retryIntervalMilliseconds = retry
    bounds.maxAgeMilliseconds = maxAge
    return bounds
}

private func event(_ name: String, args: String = "[]", replyTo: String? = nil) -> Envelope {
    var header = BusHeader(type: .event, from: "client-1")
    header.ns = "/"
    header.event = name
    header.sid = "sid-1"
    header.ack = true
    header.replyTo = replyTo
    return Envelope(topic: "", header: header, body: Data(args.utf8))
}

private func helloEnvelope(service: String, instance: String, ready: Bool, handles: [Route]) throws -> Envelope {
    let hello = Hello(service: service, instance: instance, started: 0, ready: ready, handles: handles, life: [],
                      interval: 1000)
    return try Envelope(topic: Topic.hello, header: BusHeader(type: .hello, from: instance), encoding: hello)
}

/// Answers every event on `svc.calc` with an ack carrying the sum of its integer arguments.
private func startCalculator(on connection: BusConnection) -> Task<Void, Never> {
    Task {
        for await request in connection.messages where request.header.type == .event {
            let args = (try? request.decodeBody(as: [JSON].self)) ?? []
            let sum = args.compactMap(\.intValue).reduce(0, +)
            let header = BusHeader(type: .reply, from: "calc-1", re: request.header.id)
            let instructions = [Instruction.ack(Ack(sid: request.header.sid ?? "", args: [.int(sum)]))]
            guard let reply = try? Envelope(topic: request.header.replyTo ?? Topic.edge, header: header,
                                            encoding: instructions) else { continue }
            connection.publish(reply)
        }
    }
}

/// Drives `client`'s clock every 50 ms until cancelled (``BusClient`` does this in the processes).
private func tickEvery50Milliseconds(_ client: DeliveryClient) -> Task<Void, Never> {
    Task {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            client.tick()
        }
    }
}

@Suite("DeliveryClient", .serialized)
struct DeliveryClientTests {
    @Test("a route never announced fails at once with unknownEvent")
    func unknownEvent() async throws {
        let bus = try TestBus()
        let connection = try bus.connect()
        let client = DeliveryClient(connection: connection, logger: quietLogger)
        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        let route = Route(ns: "/", event: "nobody-handles-this")
        client.send(event("nobody-handles-this"), route: route) { results.add($0) }
        // Synchronously, before any await.
        #expect(results.values == [.failure(.unknownEvent(route))])
        #expect(client.pendingCount == 0)
        #expect(connection.statistics.published == 0)
        #expect(await bus.stop(closing: [connection]))
    }

    @Test("a request gets the reply of a hand-written responder")
    func requestReply() async throws {
        let bus = try TestBus()
        let responder = try bus.connect(.exact(Topic.service("calc")))
        let responderTask = startCalculator(on: responder)
        let inbox = Topic.inbox("client-1")
        let connection = try bus.connect(.exact(inbox))
        let client = DeliveryClient(connection: connection, configuration: bounds(retry: 100, maxAge: 10_000),
                                    logger: quietLogger)
        let pump = Task { for await envelope in connection.messages { client.receive(envelope) } }
        let clock = tickEvery50Milliseconds(client)
        let request = event("add", args: "[1, 2, 39]", replyTo: inbox)
        let reply = try await client.request(request, service: "calc")
        #expect(reply.header.type == .reply)
        #expect(reply.header.re == request.header.id)
        #expect(reply.topic == inbox)
        #expect(try reply.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [42]))])
        #expect(client.pendingCount == 0)
        // A second request works the same way, now without any subscription delay.
        let second = try await client.request(event("add", args: "[5]", replyTo: inbox), service: "calc")
        #expect(try second.decodeBody(as: [Instruction].self) == [.ack(Ack(sid: "sid-1", args: [5]))])
        clock.cancel()
        #expect(await bus.stop(closing: [connection, responder]))
        _ = await (pump.value, responderTask.value)
    }

    @Test("with nobody answering, a request times out after several attempts")
    func timesOut() async throws {
        let bus = try TestBus()
        let connection = try bus.connect(.exact(Topic.inbox("client-1")))
        let client = DeliveryClient(connection: connection, configuration: bounds(retry: 100, maxAge: 500),
                                    logger: quietLogger)
        let clock = tickEvery50Milliseconds(client)
        let started = ContinuousClock.now
        do throws(DeliveryFailure) {
            _ = try await client.request(event("add", replyTo: Topic.inbox("client-1")), service: "calc")
            Issue.record("a request without a responder got a reply")
        } catch {
            guard case .timedOut(let elapsed, let attempts) = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
            #expect(attempts >= 2)
            #expect(elapsed >= 500)
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            #expect(error.code == "SERVICE_UNAVAILABLE")
        }
        #expect(client.pendingCount == 0)
        #expect(connection.statistics.published >= 2)
        clock.cancel()
        #expect(await bus.stop(closing: [connection]))
    }

    @Test("close fails waiting events with closed and refuses new ones")
    func closeFailsPending() async throws {
        let bus = try TestBus()
        let connection = try bus.connect()
        let client = DeliveryClient(connection: connection, configuration: bounds(retry: 60_000, maxAge: 60_000),
                                    logger: quietLogger)
        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        client.send(event("add"), service: "calc") { results.add($0) }
        #expect(client.pendingCount == 1)
        #expect(results.values.isEmpty)
        client.close()
        #expect(results.values == [.failure(.closed)])
        #expect(client.pendingCount == 0)
        client.send(event("add"), service: "calc") { results.add($0) }
        #expect(results.values == [.failure(.closed), .failure(.closed)])
        #expect(await bus.stop(closing: [connection]))
    }

    @Test("hellos fill the directory; a reply completes its event exactly once")
    func helloRoutingAndReply() async throws {
        let bus = try TestBus()
        let connection = try bus.connect()
        let client = DeliveryClient(connection: connection, logger: quietLogger)
        let route = Route(ns: "/", event: "add")
        #expect(!client.receive(try helloEnvelope(service: "calc", instance: "calc-1", ready: false, handles: [route])))
        #expect(client.directory.service(for: route) == nil)
        #expect(!client.receive(try helloEnvelope(service: "calc", instance: "calc-1", ready: true, handles: [route])))
        #expect(client.directory.service(for: route) == "calc")
        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        let request = event("add")
        client.send(request, route: route) { results.add($0) }
        #expect(results.values.isEmpty)
        #expect(client.pendingCount == 1)
        var reply = message(Topic.edge, type: .reply)
        reply.header.re = "someone-else"
        #expect(!client.receive(reply))
        #expect(results.values.isEmpty)
        reply.header.re = request.header.id
        #expect(client.receive(reply))
        #expect(!client.receive(reply))
        #expect(results.values == [.success(reply)])
        #expect(client.pendingCount == 0)
        #expect(await bus.stop(closing: [connection]))
    }

    @Test("a new instance's hello publishes the pending events again, with the same id")
    func newInstanceRepublishes() async throws {
        let bus = try TestBus()
        let service = try bus.connect(.exact(Topic.service("chat")))
        let serviceInbox = Collector(service)
        let connection = try bus.connect(.exact(Topic.hello))
        // No timer: only a hello can publish again.
        let client = DeliveryClient(connection: connection, configuration: bounds(retry: 600_000, maxAge: 600_000),
                                    logger: quietLogger)
        let pump = Task { for await envelope in connection.messages { client.receive(envelope) } }
        let warmUp = message(Topic.service("chat"), type: .event)
        #expect(await repeatUntil({ connection.publish(warmUp) }, { serviceInbox.contains(id: warmUp.header.id) }))

        let results = Recorder<Result<Envelope, DeliveryFailure>>()
        let pending = event("send")
        client.send(pending, service: "chat") { results.add($0) }
        let id = pending.header.id
        #expect(await eventually { serviceInbox.with(id: id).count == 1 })

        let announcer = try bus.connect()
        let hello = try helloEnvelope(service: "chat", instance: "chat-2", ready: true,
                                      handles: [Route(ns: "/", event: "send")])
        #expect(await repeatUntil({ announcer.publish(hello) }, { serviceInbox.with(id: id).count >= 2 }))
        let copies = serviceInbox.with(id: id)
        #expect(copies.count >= 2)
        #expect(copies.allSatisfy { $0 == copies[0] })
        #expect(copies[0].topic == Topic.service("chat"))
        #expect(copies[0].body == pending.body)
        #expect(client.directory.isAvailable("chat"))
        #expect(client.pendingCount == 1)
        #expect(results.values.isEmpty)
        client.close()
        #expect(results.values == [.failure(.closed)])
        #expect(await bus.stop(closing: [service, connection, announcer]))
        await pump.value
    }
}

@Suite("DeliveryClient exactly-once completions")
struct DeliveryClientCompletionTests {
    @Test("an id that is already waiting is refused with duplicateID; both callers complete once")
    func duplicateIDCompletesEveryCaller() async throws {
        let bus = try TestBus()
        let connection = try bus.connect()
        let client = DeliveryClient(connection: connection, configuration: bounds(retry: 60_000, maxAge: 60_000),
                                    logger: quietLogger)
        let first = Recorder<Result<Envelope, DeliveryFailure>>()
        let second = Recorder<Result<Envelope, DeliveryFailure>>()
        let request = event("add")
        client.send(request, service: "calc") { first.add($0) }
        client.send(request, service: "calc") { second.add($0) }
        #expect(second.values == [.failure(.duplicateID(request.header.id))])
        #expect(DeliveryFailure.duplicateID("x").code == "DUPLICATE_ID")
        #expect(first.values.isEmpty)
        #expect(client.pendingCount == 1)
        client.close()
        #expect(first.values == [.failure(.closed)], "the first caller must still be completed")
        #expect(second.values.count == 1)
        #expect(await bus.stop(closing: [connection]))
    }
}
