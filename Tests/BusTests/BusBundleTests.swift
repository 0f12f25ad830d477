@testable import Bus
import Contracts
import Foundation
import Testing

@Suite("Bundles")
struct BusBundleTests {
    private static func emit(_ topic: String = "edge", id: String = MessageID.make(), body: String = "[]") -> Envelope {
        Envelope(topic: topic, header: BusHeader(type: .emit, from: "chat-abc123", id: id), body: Data(body.utf8))
    }

    @Test("a bundle's frame is the entries of §3, and reading it gives back every envelope in order")
    func packAndRead() throws {
        let envelopes = (0..<5).map { Self.emit(body: "[\($0)]") }
        let frame = BusBundle.pack(envelopes.map { $0.encode() }[...])
        let first = envelopes[0].encode()
        // 4-byte big-endian lengths before the header and the body.
        #expect(Array(frame.prefix(4)) == [0, 0, 0, UInt8(first[1].count)])
        #expect(frame.count == envelopes.reduce(0) { $0 + BusBundle.entrySize($1.encode()) })
        let read = try BusBundle.decode(topic: Data("edge".utf8), frame: frame).map { try $0.get() }
        #expect(read == envelopes)
    }

    @Test("a malformed envelope in a bundle is dropped alone; a frame that does not split is badBundle")
    func malformed() throws {
        let good = Self.emit()
        var broken = good.encode()
        broken[1] = Data(#"{"v":1}"#.utf8)
        let frame = BusBundle.pack([good.encode(), broken, Self.emit(id: "b").encode()][...])
        let results = try BusBundle.decode(topic: Data("edge".utf8), frame: frame)
        #expect(results.count == 3)
        #expect(try results[0].get() == good)
        if case .success = results[1] { Issue.record("the header without id, type, from and ts was read") }
        #expect(try results[2].get().header.id == "b")
        for cut in [1, 3, 5, frame.count - 1] {
            #expect(throws: EnvelopeError.badBundle) { try BusBundle.decode(topic: Data("edge".utf8), frame: frame.prefix(cut)) }
        }
        #expect(throws: EnvelopeError.badBundle) { try BusBundle.decode(topic: Data("edge".utf8), frame: Data()) }
        #expect(throws: EnvelopeError.badBundle) {
            try BusBundle.decode(topic: Data("edge".utf8), frame: Data([0xFF, 0xFF, 0xFF, 0xFF, 1, 2]))
        }
    }

    @Test("the delivery client tells its connection where it may bundle, from the hellos it hears")
    func topicsFromHellos() async throws {
        let bus = try TestBus()
        let connection = try bus.connect()
        let client = DeliveryClient(connection: connection, logger: quietLogger)
        func hello(_ instance: String, bundles: Bool?, interval: Int = 1000) -> Hello {
            var hello = Hello(service: "chat", instance: instance, started: 0, ready: true, handles: [], life: [],
                              interval: interval)
            hello.bundles = bundles
            return hello
        }
        client.heard(hello("chat-1", bundles: true))
        #expect(connection.bundleTopicNames == ["svc.chat", "inbox.chat-1"])
        // The same instance id again, now without bundles (a restart of an older build): no more bundles.
        client.heard(hello("chat-1", bundles: nil))
        #expect(connection.bundleTopicNames.isEmpty)
        client.heard(hello("chat-1", bundles: true, interval: 10))
        #expect(connection.bundleTopicNames == ["svc.chat", "inbox.chat-1"])
        client.heard(hello("chat-2", bundles: nil))
        #expect(connection.bundleTopicNames == ["inbox.chat-1"])
        try await Task.sleep(for: .milliseconds(40))
        #expect(client.expireSilentInstances().map(\.hello.instance) == ["chat-1"])
        #expect(connection.bundleTopicNames.isEmpty)
        #expect(await bus.stop(closing: [connection]))
    }

    @Test("through a bus with keys: a run to a bundle topic goes out as bundles, in order, within the limits")
    func throughTheBus() async throws {
        let folder = try makeKeyFolder()
        let proxy = try BusCurveTests.startBus(folder)
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = proxy.boundEndpoints.frontend
        configuration.subscribeEndpoint = proxy.boundEndpoints.backend
        configuration.keys = .file(folder.keyPath("chat"))
        configuration.bundleLimits.envelopes = 8
        let sender = try BusConnection(configuration: configuration, logger: quietLogger)
        let listener = try BusCurveTests.connect(proxy, keys: .file(folder.keyPath("edge")))
        listener.subscribe(.prefix("edge"))
        let heard = Collector(listener)
        let probe = MessageID.make()
        #expect(await repeatUntil({ sender.publish(Self.emit(id: probe)) }, { heard.contains(id: probe) }))
        sender.setBundleTopics(["edge"])
        // 20 to `edge` (bundled by 8, 8, 4), one to `edge.x` (not a bundle topic), one with an
        // attachment (never bundled), 3 more to `edge`.
        var run = (0..<20).map { Self.emit(body: "[\($0)]") }
        run.append(Self.emit("edge.x"))
        run.append(Envelope(topic: "edge", header: BusHeader(type: .emit, from: "chat-abc123"),
                            body: Data(#"[{"_placeholder":true,"num":0}]"#.utf8), attachments: [Data([1, 2, 3])]))
        run += (0..<3).map { Self.emit(body: "[\($0)]") }
        sender.publish(run)
        #expect(await eventually { heard.all.count >= run.count + 1 })
        let after = heard.all.drop { $0.header.id != run[0].header.id }
        #expect(Array(after) == run)
        #expect(sender.statistics.bundlesPublished == 4)
        #expect(sender.statistics.bundledPublished == 23)
        #expect(listener.statistics.bundlesReceived == 4)
        #expect(listener.statistics.malformed == 0)
        for connection in [sender, listener] { await connection.close() }
        proxy.terminate()
    }

    @Test("the bus forwards a bundle's allowed envelopes, in order, and counts each refused one")
    func checkedPerEnvelope() async throws {
        let folder = try makeKeyFolder()
        let proxy = try BusCurveTests.startBus(folder)
        let operatorTool = try BusCurveTests.connect(proxy, keys: .file(folder.keyPath("operator")))
        let echo = try BusCurveTests.connect(proxy, keys: .file(folder.keyPath("echo-service")))
        echo.subscribe(.exact("svc.echo"))
        let heard = Collector(echo)
        func event(_ name: String) -> Envelope {
            var header = BusHeader(type: .event, from: "switchboard-abc123")
            header.event = name
            return Envelope(topic: "svc.echo", header: header, body: Data("[]".utf8))
        }
        let probe = event("probe")
        #expect(await repeatUntil({ operatorTool.publish(probe) }, { heard.contains(id: probe.header.id) }))
        operatorTool.setBundleTopics(["svc.echo"])
        // An operator may publish events, never an emit: the middle one is refused.
        let forged = Self.emit("svc.echo")
        let bundle = [event("one"), forged, event("two")]
        operatorTool.publish(bundle)
        #expect(await eventually { heard.contains(id: bundle[2].header.id) })
        #expect(heard.all.suffix(2).map(\.header.id) == [bundle[0].header.id, bundle[2].header.id])
        #expect(!heard.contains(id: forged.header.id))
        #expect(proxy.statistics.refusedMessages == 1)
        #expect(echo.statistics.bundlesReceived == 1)
        // All refused: nothing goes on.
        operatorTool.publish([Self.emit("svc.echo"), Self.emit("svc.echo")])
        #expect(await eventually { proxy.statistics.refusedMessages == 3 })
        for connection in [operatorTool, echo] { await connection.close() }
        proxy.terminate()
    }
}
