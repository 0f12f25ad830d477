import Contracts
import NIOCore
import NIOWebSocket
import Testing
@testable import Edge

/// The hub's side of issue 14's hardening, from spec strings: event names as socket.io
/// dispatches them, the per-socket event rate, and a WebSocket closed with 1007.
@Suite(.serialized) struct EdgeHardeningTests {
    let header = #"{"ack":true,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"}"#

    @Test func aNumberNamesTheEventOfItsDecimalText() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        try a.send(#"421[123,"x"]"#)
        #expect(edge.sentEvents() == [#"/ 123 \#(header) ["x"]"#])
    }

    @Test func aSocketOverItsRateGetsRateLimitedAcksAndOthersDoNot() async throws {
        let edge = await EdgeHarness { configuration in
            configuration.limits.eventsPerSecond = 1
            configuration.limits.eventBurst = 2
        }
        let a = try edge.client("a")
        let b = try edge.client("b")
        for id in 1...3 { try a.send(#"42\#(id)["echo",\#(id)]"#) }
        #expect(edge.sentEvents().count == 2, "the burst goes to the bus, the third does not")
        #expect(try a.received() == [#"433[{"error":"RATE_LIMITED"}]"#])
        try b.send(#"421["echo","b"]"#)
        #expect(edge.sentEvents().count == 1, "another socket has its own budget")
        let metrics = edge.hub.metrics.exposition()
        #expect(metrics.contains(#"switchboard_edge_delivery_failures_total{code="RATE_LIMITED"} 1"#))
    }

    @Test func invalidTextClosesTheWebSocketWith1007() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        _ = edge.facts()
        a.driver.engine(.invalidTextFrame(on: .current), webSocket: a.channel)
        edge.run()
        var close: WebSocketFrame?
        while let frame = try a.channel.readOutbound(as: WebSocketFrame.self) {
            if frame.opcode == .connectionClose { close = frame }
        }
        var data = try #require(close).unmaskedData
        #expect(data.readWebSocketErrorCode() == WebSocketErrorCode(codeNumber: 1007))
        #expect(edge.facts().first?.contains(#""reason":"transport error""#) == true)
    }
}
