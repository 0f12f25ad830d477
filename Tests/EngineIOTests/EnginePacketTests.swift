import Testing
@testable import EngineIO

@Suite struct EnginePacketTests {
    @Test(arguments: [
        ("0{\"sid\":\"x\"}", EnginePacket.open("{\"sid\":\"x\"}")),
        ("1", EnginePacket.close),
        ("2", EnginePacket.ping),
        ("3", EnginePacket.pong),
        ("2probe", EnginePacket.probePing),
        ("3probe", EnginePacket.probePong),
        ("4hello", EnginePacket.message("hello")),
        ("4", EnginePacket(.message)),
        ("5", EnginePacket.upgrade),
        ("6", EnginePacket.noop),
        ("bAQID", EnginePacket.message(.binary([1, 2, 3]))),
    ])
    func textRoundTrip(text: String, packet: EnginePacket) throws {
        #expect(try EnginePacket(text: text) == packet)
        #expect(packet.text == text)
    }

    @Test func webSocketFrames() throws {
        #expect(EnginePacket.message("hello").frame == .text("4hello"))
        #expect(EnginePacket.message(.binary([1, 2, 3])).frame == .binary([1, 2, 3]))
        #expect(try EnginePacket(frame: .binary([9])) == .message(.binary([9])))
        #expect(try EnginePacket(frame: .text("2probe")) == .probePing)
    }

    @Test func payloadFromTheSpec() throws {
        let packets: [EnginePacket] = [.message("hello"), .message(.binary([1, 2, 3]))]
        #expect(EnginePacket.encodePayload(packets) == "4hello\u{1E}bAQID")
        #expect(try EnginePacket.decodePayload("4hello\u{1E}bAQID") == packets)
        #expect(try EnginePacket.decodePayload("4€€€\u{1E}2\u{1E}1") == [.message("€€€"), .ping, .close])
    }

    @Test(arguments: [
        ("", EngineParseError.emptyPacket),
        ("7", EngineParseError.unknownType("7")),
        ("x4", EngineParseError.unknownType("x")),
        ("b!!!", EngineParseError.invalidBase64),
        ("4a\u{1E}", EngineParseError.emptyPacket),
        ("4a\u{1E}9", EngineParseError.unknownType("9")),
    ])
    func malformedPayloads(payload: String, error: EngineParseError) {
        #expect(throws: error) { try EnginePacket.decodePayload(payload) }
    }

    @Test func invalidUTF8Body() {
        #expect(throws: EngineParseError.invalidUTF8) { try EnginePacket.decodePayload(bytes: [0x34, 0xFF]) }
    }

    @Test func errorBodies() {
        #expect(EngineError(.unknownTransport).jsonBody == #"{"code":0,"message":"Transport unknown"}"#)
        #expect(EngineError(.unknownSessionID).jsonBody == #"{"code":1,"message":"Session ID unknown"}"#)
        #expect(EngineError(.badHandshakeMethod).jsonBody == #"{"code":2,"message":"Bad handshake method"}"#)
        #expect(EngineError(.badRequest).jsonBody == #"{"code":3,"message":"Bad request"}"#)
        #expect(EngineError(.forbidden).httpStatus == 403)
        #expect(EngineError(.forbidden, message: "no \"way\"").jsonBody == #"{"code":4,"message":"no \"way\""}"#)
        #expect(EngineError(.unsupportedProtocolVersion).response
            == EngineHTTPResponse(status: 400, contentType: "application/json",
                                  body: #"{"code":5,"message":"Unsupported protocol version"}"#))
    }
}
