import Testing
@testable import EngineIO

@Suite struct EngineRequestTests {
    static let upgradeHeaders: [(name: String, value: String)] = [("Connection", "Upgrade"), ("Upgrade", "websocket")]

    func parse(_ method: String, _ target: String,
               _ headers: [(name: String, value: String)] = []) throws(EngineError) -> EngineRequest? {
        try EngineRequest(method: method, target: target, headers: headers)
    }

    @Test func classifiesValidRequests() throws {
        let handshake = try #require(try parse("GET", "/socket.io/?EIO=4&transport=polling&t=N8hyd6w"))
        #expect(handshake.kind == .handshake(.polling))
        #expect(handshake.sid == nil)
        #expect(handshake.query["t"] == "N8hyd6w")
        #expect(try parse("GET", "/socket.io/?EIO=4&transport=websocket", Self.upgradeHeaders)?.kind
            == .handshake(.websocket))
        #expect(try parse("GET", "/socket.io/?EIO=4&transport=polling&sid=a%2Bb")?.kind == .poll(sid: "a+b"))
        #expect(try parse("POST", "/socket.io/?EIO=4&transport=polling&sid=abc")?.kind == .post(sid: "abc"))
        #expect(try parse("GET", "/socket.io/?EIO=4&transport=websocket&sid=abc", Self.upgradeHeaders)?.kind
            == .upgrade(sid: "abc"))
    }

    @Test func otherPathsAreNotOurs() throws {
        #expect(try parse("GET", "/health") == nil)
        #expect(try parse("GET", "/socket.io?EIO=4&transport=polling") == nil)
    }

    @Test(arguments: [
        ("GET", "/socket.io/?EIO=4", false, EngineError.Code.unknownTransport),
        ("GET", "/socket.io/?EIO=4&transport=flash", false, .unknownTransport),
        ("POST", "/socket.io/?EIO=4&transport=polling", false, .badHandshakeMethod),
        ("PUT", "/socket.io/?EIO=4&transport=polling", false, .badHandshakeMethod),
        ("GET", "/socket.io/?EIO=4&transport=websocket", false, .badRequest),
        ("GET", "/socket.io/?EIO=4&transport=polling", true, .badRequest),
        ("GET", "/socket.io/?EIO=3&transport=polling", false, .unsupportedProtocolVersion),
        ("GET", "/socket.io/?transport=polling", false, .unsupportedProtocolVersion),
        ("GET", "/socket.io/?EIO=4&transport=websocket&sid=abc", false, .badRequest),
    ])
    func rejections(method: String, target: String, upgrade: Bool, code: EngineError.Code) {
        #expect(throws: EngineError(code)) { try parse(method, target, upgrade ? Self.upgradeHeaders : []) }
    }

    @Test func invalidOriginIsABadRequest() {
        #expect(throws: EngineError(.badRequest)) {
            try parse("GET", "/socket.io/?EIO=4&transport=polling", [("Origin", "http://a\u{1}b")])
        }
    }

    @Test func disabledTransportIsUnknown() {
        let configuration = EngineRequest.Configuration(transports: [.websocket])
        #expect(throws: EngineError(.unknownTransport)) {
            try EngineRequest(method: "GET", target: "/socket.io/?EIO=4&transport=polling", headers: [],
                              configuration: configuration)
        }
    }

    /// The reference's polling transport answers other methods on a live session with 500.
    @Test func otherMethodsOnAPollingSessionAreTheirOwnKind() throws {
        let request = try EngineRequest(method: "DELETE", target: "/socket.io/?EIO=4&transport=polling&sid=abc",
                                        headers: [])
        #expect(request?.kind == .otherMethod(sid: "abc"))
    }
}
