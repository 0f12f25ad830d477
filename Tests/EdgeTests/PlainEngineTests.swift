import Foundation
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import Edge

/// Plain Engine.IO endpoints: a connection without a Socket.IO side, whose message batches are
/// bus events `message` on the endpoint's namespace and whose replies' acks come back as messages.
@Suite(.serialized) struct PlainEngineTests {
    /// A plain connection of `edge` on a WebSocket, called `<p>` in specs (its Engine.IO sid).
    func plainClient(_ edge: EdgeHarness) throws -> TestClient {
        let channel = EmbeddedChannel(handlers: [WrittenFrameReader(), WebSocketFrameEncoder()], loop: edge.loop)
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.7", port: 40_000)).wait()
        let driver = edge.edge.open(transport: .websocket, listener: 0, address: "10.0.0.7", cookie: nil,
                                    webSocket: channel, incoming: nil, plain: "engine.io")
        edge.name(driver.sid, "p")
        let client = TestClient(harness: edge, name: "p", channel: channel, driver: driver)
        edge.run()
        #expect(try client.received().first?.hasPrefix(#"0{"sid":"<p>""#) == true)
        return client
    }

    @Test func messagesGoToTheBusAndTheAckComesBackAsMessages() async throws {
        let edge = await EdgeHarness { $0.engines = ["/engine.io/": "engine.io"] }
        let p = try plainClient(edge)
        try p.send("4hello")
        try p.send(binary: [1, 2, 3, 4])
        #expect(edge.sentEvents() == [
            #"engine.io message {"ack":true,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<p>"} ["hello"]"#,
            #"engine.io message {"ack":true,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<p>"} [{"_placeholder":true,"num":0}] +01020304"#,
        ])
        try edge.reply(to: 0, #"[{"op":"ack","sid":"<p>","args":["hello","again",{"n":1}]}]"#)
        #expect(try p.received() == ["4hello", "4again", #"4{"n":1}"#])
        try edge.reply(to: 1, #"[{"op":"ack","sid":"<p>","args":[{"_placeholder":true,"num":0}]}]"#,
                       attachments: [[1, 2, 3, 4]])
        #expect(try p.received() == ["+01020304"])
    }

    @Test func noSocketIOSideAndFailuresSendNothing() async throws {
        let edge = await EdgeHarness { $0.engines = ["/engine.io/": "engine.io"] }
        let p = try plainClient(edge)
        try p.send(#"40"#)  // a Socket.IO CONNECT is just a message here
        #expect(edge.sentEvents().count == 1)
        edge.bus.fail(edge.bus.sent[0], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try p.received().isEmpty, "a delivery failure is logged, not sent")
        #expect(p.driver.socketSession.memberships.isEmpty)
    }

    @Test func theConfigurationNamesEndpointsPerListener() throws {
        let text = #"{"engines": {"/engine.io/": "engine.io"}, "listeners": [{"port": 1}, {"port": 2, "engines": {}}]}"#
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(text.utf8))
        #expect(configuration.engines(ofListener: 0) == ["/engine.io/": "engine.io"])
        #expect(configuration.engines(ofListener: 1).isEmpty)
        let served = try configuration.engineRequest(method: "GET", target: "/engine.io/?EIO=4&transport=polling",
                                                     headers: [], listener: 0)
        #expect(served?.plain == "engine.io")
        #expect(try configuration.engineRequest(method: "GET", target: "/engine.io/?EIO=4&transport=polling",
                                                headers: [], listener: 1) == nil)
        #expect(try configuration.engineRequest(method: "GET", target: "/socket.io/?EIO=4&transport=polling",
                                                headers: [], listener: 0)?.plain == nil)
    }
}
