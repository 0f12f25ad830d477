import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import Edge

/// The polling transport through the real NIO pipeline, on embedded channels fed raw bytes.
@Suite(.serialized) struct HTTPHandlerTests {
    let harness: EdgeHarness
    var loop: EmbeddedEventLoop { harness.loop }

    init() async throws {
        // These tests never reach a service.
        harness = await EdgeHarness()
    }

    /// A client connection: the HTTP pipeline and the edge's handler.
    func client() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(HTTPHandler(edge: harness.edge, listener: 0))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        return channel
    }

    /// Sends raw request bytes; returns the raw response text written so far.
    func exchange(_ channel: EmbeddedChannel, _ request: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: request))
        loop.run()
        return try drain(channel)
    }

    /// Everything the channel wrote (the HTTP encoder writes `IOData`).
    func drain(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(var buffer) = data else { continue }
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    func get(_ target: String) -> String { "GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n" }

    func post(_ target: String, _ body: String) -> String {
        "POST \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain;charset=UTF-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func handshakeSID(_ channel: EmbeddedChannel) throws -> String {
        let response = try exchange(channel, get("/socket.io/?EIO=4&transport=polling"))
        let start = try #require(response.range(of: "0{\"sid\":\""))
        return String(response[start.upperBound...].prefix { $0 != "\"" })
    }

    @Test func theHandshakeAnswersTheOpenPacketWithTheConfiguredNumbers() throws {
        let response = try exchange(try client(), get("/socket.io/?EIO=4&transport=polling"))
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Content-Type: text/plain; charset=UTF-8"))
        #expect(response.contains(#","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#))
    }

    @Test(arguments: [
        ("/socket.io/?EIO=4&transport=carrier-pigeon", #"{"code":0,"message":"Transport unknown"}"#),
        ("/socket.io/?EIO=4&transport=polling&sid=nope", #"{"code":1,"message":"Session ID unknown"}"#),
        ("/socket.io/?EIO=3&transport=polling", #"{"code":5,"message":"Unsupported protocol version"}"#),
        ("/socket.io/?transport=polling", #"{"code":5,"message":"Unsupported protocol version"}"#),
    ])
    func badRequestsGetTheReferenceErrors(target: String, body: String) throws {
        let response = try exchange(try client(), get(target))
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.contains("Content-Type: application/json"))
        #expect(response.hasSuffix("\r\n\r\n" + body))
    }

    @Test func aHandshakeMustBeAGet() throws {
        let response = try exchange(try client(), post("/socket.io/?EIO=4&transport=polling", "40"))
        #expect(response.hasSuffix(#"{"code":2,"message":"Bad handshake method"}"#))
    }

    @Test func aPostIsAnsweredOkAndAHeldPollIsReleasedWhenTheClientCloses() throws {
        let first = try client()
        let sid = try handshakeSID(first)
        let held = try exchange(first, get("/socket.io/?EIO=4&transport=polling&sid=\(sid)"))
        #expect(held.isEmpty, "nothing to send yet: the poll waits")
        let second = try client()
        let posted = try exchange(second, post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", "1"))
        #expect(posted.hasPrefix("HTTP/1.1 200 OK") && posted.hasSuffix("\r\n\r\nok"))
        loop.run()
        let released = try drain(first)
        #expect(released.hasPrefix("HTTP/1.1 200 OK"), "the pending GET is released when the session closes")
        #expect(harness.edge.driver(sid) == nil)
        let after = try exchange(second, get("/socket.io/?EIO=4&transport=polling&sid=\(sid)"))
        #expect(after.hasSuffix(#"{"code":1,"message":"Session ID unknown"}"#))
    }

    @Test func aSecondConcurrentPollIsRefusedAndEndsTheSession() throws {
        let first = try client()
        let sid = try handshakeSID(first)
        _ = try exchange(first, get("/socket.io/?EIO=4&transport=polling&sid=\(sid)"))
        let second = try client()
        let refused = try exchange(second, get("/socket.io/?EIO=4&transport=polling&sid=\(sid)"))
        #expect(refused.hasPrefix("HTTP/1.1 400"))
        #expect(harness.edge.driver(sid) == nil)
    }

    @Test func aTooLargePostIs413() throws {
        let channel = try client()
        let sid = try handshakeSID(channel)
        let body = "4" + String(repeating: "x", count: 1_000_001)
        let response = try exchange(channel, post("/socket.io/?EIO=4&transport=polling&sid=\(sid)", body))
        #expect(response.hasPrefix("HTTP/1.1 413"))
    }

    @Test func corsPreflightAndOriginEcho() throws {
        let preflight = try exchange(try client(), "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n"
            + "Host: x\r\nOrigin: http://app.example\r\nAccess-Control-Request-Headers: content-type\r\n\r\n")
        #expect(preflight.hasPrefix("HTTP/1.1 204 No Content"))
        #expect(preflight.contains("Access-Control-Allow-Origin: http://app.example"))
        #expect(preflight.contains("Access-Control-Allow-Credentials: true"))
        #expect(preflight.contains("Access-Control-Allow-Headers: content-type"))
        let response = try exchange(try client(), "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://app.example\r\n\r\n")
        #expect(response.contains("Access-Control-Allow-Origin: http://app.example"))
    }

    @Test func healthAndMetrics() throws {
        let health = try exchange(try client(), get("/health"))
        #expect(health.hasPrefix("HTTP/1.1 200 OK") && health.contains(#""status":"ok""#))
        _ = try handshakeSID(try client())
        let metrics = try exchange(try client(), get("/metrics"))
        #expect(metrics.contains(#"switchboard_edge_engine_connections{transport="polling"}"#))
        #expect(try exchange(try client(), get("/nowhere")).hasPrefix("HTTP/1.1 404"))
    }
}
