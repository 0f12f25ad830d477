import Bus
import Contracts
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import Edge

/// Services' HTTP routes through the real NIO pipeline, on embedded channels fed raw bytes: the
/// fake bus knows the routes a hello announced, the test reads the published event from it and
/// answers it as the service would.
@Suite(.serialized) struct HTTPRouteHandlerTests {
    let harness: EdgeHarness
    var loop: EmbeddedEventLoop { harness.loop }

    init() async throws {
        harness = await EdgeHarness { configuration in
            configuration.maxPayload = 100
            configuration.cors.origins = ["*", "http://app.example"]
        }
        harness.bus.announceHTTP("GET /api/channels/:id/messages", "POST /api/things")
    }

    func client() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(loop: loop)
        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
        try channel.pipeline.syncOperations.addHandler(HTTPHandler(edge: harness.edge, listener: 0))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        return channel
    }

    func exchange(_ channel: EmbeddedChannel, _ request: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: request))
        loop.run()
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(var buffer) = data else { continue }
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    /// The one request waiting for its reply, answered with `instructions` as the service would.
    func answer(_ channel: EmbeddedChannel, _ instructions: [Instruction], error: String? = nil) throws -> String {
        #expect(harness.bus.pendingCount == 1)
        let sent = try #require(harness.bus.sent.last)
        try harness.bus.reply(to: sent, instructions, error: error)
        return try exchange(channel, "")
    }

    func ack(_ answer: JSON) -> Instruction { .ack(Ack(sid: "http-x", args: [answer])) }

    @Test func aMatchedRequestWaitsForItsServiceAndTheAckIsTheResponse() throws {
        let channel = try client()
        let waiting = try exchange(channel, "GET /api/channels/7/messages?limit=2 HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://app.example\r\n\r\n")
        #expect(waiting.isEmpty, "the response waits for the reply")
        let event = try #require(harness.sentEvents().first)
        #expect(event.hasPrefix(#"http GET /api/channels/:id/messages {"ack":true,"auth":"none","edge":"edge-test","ip":"127.0.0.1","replyTo":"edge.edge-test","sid":"http-"#))
        #expect(event.hasSuffix(#" [{"body":null,"method":"GET","params":{"id":"7"},"path":"/api/channels/7/messages","query":{"limit":"2"}}]"#))
        let response = try answer(channel, [ack(["status": 200, "body": ["messages": []],
                                                 "headers": ["Cache-Control": "no-store"]])])
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Content-Type: application/json\r\n"))
        #expect(response.contains("Cache-Control: no-store\r\n"))
        #expect(response.contains("Access-Control-Allow-Origin: http://app.example\r\n"))
        #expect(response.hasSuffix("\r\n\r\n" + #"{"messages":[]}"#))
        #expect(harness.bus.pendingCount == 0)
        let metrics = try exchange(try client(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(metrics.contains(#"switchboard_edge_http_requests_total{route="GET /api/channels/:id/messages",status="200"} 1"#))
    }

    @Test func aReplyWithAnErrorOrWithoutAnAckIs500() throws {
        for (instructions, error) in [([Instruction](), "INTERNAL_ERROR" as String?), ([], nil),
                                      ([ack(["status": 700])], nil)] {
            let channel = try client()
            _ = try exchange(channel, "GET /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try answer(channel, instructions, error: error)
            #expect(response.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
            #expect(response.hasSuffix(#"{"error":"INTERNAL_ERROR"}"#))
        }
    }

    @Test func aRouteWithADeclaredFailureBodyAnswersTheEdgesErrorsInIt() throws {
        harness.bus.declare(FailureShape(ns: "http", event: "GET /api/channels/:id/messages", body: ["code": "{{code}}"]))
        let channel = try client()
        _ = try exchange(channel, "GET /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n\r\n")
        let failed = try answer(channel, [], error: "INTERNAL_ERROR")
        #expect(failed.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        #expect(failed.hasSuffix(#"{"code":"INTERNAL_ERROR"}"#))
        _ = try exchange(channel, "GET /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n\r\n")
        harness.bus.fail(try #require(harness.bus.sent.last), .timedOut(afterMilliseconds: 10_000, attempts: 5))
        let away = try exchange(channel, "")
        #expect(away.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(away.hasSuffix(#"{"code":"SERVICE_UNAVAILABLE"}"#))
        let answered = try exchange(channel, "GET /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(answered.isEmpty)
        #expect(try answer(channel, [ack(["status": 404, "body": ["error": "mine"]])]).hasSuffix(#"{"error":"mine"}"#),
                "a service's own answer is never reshaped")
        let other = try exchange(try client(), "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 1\r\n\r\nx")
        #expect(other.hasSuffix(#"{"error":"UNSUPPORTED_MEDIA_TYPE"}"#), "another route keeps the default")
    }

    @Test func anUnknownRouteIs404AtOnce() throws {
        for request in ["GET /nowhere", "GET /api/channels/7/messages/", "DELETE /api/channels/7/messages",
                        "GET /api/channels//messages"] {
            let response = try exchange(try client(), "\(request) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"), "\(request)")
            #expect(response.hasSuffix("\r\n\r\n" + #"{"error":"NOT_FOUND"}"#))
        }
        #expect(harness.bus.pendingCount == 0)
    }

    @Test func badBodiesAndEncodingsAre400AndLargeBodies413() throws {
        let bad = try exchange(try client(), "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{nope")
        #expect(bad.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && bad.hasSuffix(#"{"error":"BAD_REQUEST"}"#))
        let encoding = try exchange(try client(), "GET /api/channels/%zz/messages HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(encoding.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let query = try exchange(try client(), "GET /api/channels/1/messages?x=%E0 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(query.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let large = String(repeating: "1", count: 101)
        let tooLarge = try exchange(try client(), "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n\(large)")
        #expect(tooLarge.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        // A declared length past the limit is refused at the head, before any body is read.
        let declared = try client()
        // The close ends the decoder's unfinished body, which it reports as an error: expected here.
        _ = try? declared.writeInbound(ByteBuffer(string: "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"))
        loop.run()
        var early = ""
        while let data = try declared.readOutbound(as: IOData.self) {
            if case .byteBuffer(var buffer) = data { early += buffer.readString(length: buffer.readableBytes) ?? "" }
        }
        #expect(early.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n") && early.contains("Connection: close\r\n"))
        let plain = try exchange(try client(), "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 2\r\n\r\n{}")
        #expect(plain.hasPrefix("HTTP/1.1 415 Unsupported Media Type\r\n"))
        #expect(harness.bus.sent.isEmpty, "nothing was published")
    }

    @Test func aJSONBodyIsPublishedAndTheServiceStatusKept() throws {
        let channel = try client()
        _ = try exchange(channel, "POST /api/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}")
        let response = try answer(channel, [ack(["status": 418, "body": ["error": "TEAPOT"]])])
        #expect(response.hasPrefix("HTTP/1.1 418 I'm a teapot\r\n"))
        #expect(response.hasSuffix(#"{"error":"TEAPOT"}"#))
    }

    @Test func preflightsAreAnsweredForRoutesToo() throws {
        let response = try exchange(try client(), "OPTIONS /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://app.example\r\nAccess-Control-Request-Headers: authorization\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 204 No Content\r\n"))
        #expect(response.contains("Access-Control-Allow-Origin: http://app.example\r\n"))
        #expect(response.contains("Access-Control-Allow-Headers: authorization\r\n"))
        #expect(harness.bus.pendingCount == 0)
    }

    @Test func anOriginAllowedOnlyByStarGetsNoCredentialsOnRoutes() throws {
        let response = try exchange(try client(), "OPTIONS /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://evil.example\r\n\r\n")
        #expect(response.contains("Access-Control-Allow-Origin: *\r\n"))
        #expect(!response.contains("Access-Control-Allow-Credentials"))
        let listed = try exchange(try client(), "OPTIONS /api/channels/7/messages HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://app.example\r\n\r\n")
        #expect(listed.contains("Access-Control-Allow-Credentials: true\r\n"))
        // The Engine.IO path keeps socket.io's behaviour: any origin reflected, with credentials.
        let engine = try exchange(try client(), "OPTIONS /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
            + "Origin: http://evil.example\r\n\r\n")
        #expect(engine.contains("Access-Control-Allow-Origin: http://evil.example\r\n"))
    }
}
