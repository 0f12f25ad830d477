import EngineIO
import Testing
@testable import SocketIO

@Suite struct MalformedPacketTests {
    /// Each case: the messages fed in order, and the error the last one must raise.
    static let cases: [([EngineData], SocketParseError)] = [
        ([.text("")], .unknownType),
        ([.text("7")], .unknownType),
        ([.text("9[\"x\"]")], .unknownType),
        ([.text("x")], .unknownType),
        ([.text("-2[\"x\"]")], .unknownType),
        ([.text("5[\"x\"]")], .illegalAttachments),
        ([.text("5-[\"x\"]")], .illegalAttachments),
        ([.text("50-[\"x\"]")], .illegalAttachments),
        ([.text("5a-[\"x\"]")], .illegalAttachments),
        ([.text("699999999999999999999-[]")], .illegalAttachments),
        ([.text("511-[\"x\"]")], .tooManyAttachments),
        ([.text("51-[\"x\",{\"_placeholder\":true,\"num\":1}]"), .binary([1])], .illegalAttachments),
        ([.text("51-[\"x\",{\"_placeholder\":true,\"num\":\"0\"}]"), .binary([1])], .illegalAttachments),
        ([.text("51-[\"x\",{\"_placeholder\":true,\"num\":-1}]"), .binary([1])], .illegalAttachments),
        ([.binary([1])], .unexpectedBinary),
        ([.text("51-[\"x\",{\"_placeholder\":true,\"num\":0}]"), .text("2[\"y\"]")], .unexpectedText),
        ([.text("2admin,[\"x\"]")], .invalidNamespace),
        ([.text("0admin,{}")], .invalidNamespace),
        ([.text("3abc")], .invalidJSON),
        ([.text("299999999999999999999[\"x\"]")], .invalidAckID),
        ([.text("2[\"x\"")], .invalidJSON),
        ([.text("2{oops}")], .invalidJSON),
        ([.text("21x[\"a\"]")], .invalidJSON),
        ([.text("2\"x\"")], .invalidPayload),
        ([.text("2{\"a\":1}")], .invalidPayload),
        ([.text("2[]")], .invalidPayload),
        ([.text("2[null]")], .invalidPayload),
        ([.text("2[[\"x\"]]")], .invalidPayload),
        // socket.io-parser: an event's name is a string or a number; anything else is refused.
        ([.text("2[true,\"x\"]")], .invalidPayload),
        ([.text("2[{},\"x\"]")], .invalidPayload),
        ([.text("21[null,\"x\"]")], .invalidPayload),
        ([.text("0[1]")], .invalidPayload),
        ([.text("0\"token\"")], .invalidPayload),
        ([.text("1{}")], .invalidPayload),
        ([.text("3/admin,1{\"a\":1}")], .invalidPayload),
        ([.text("4[1]")], .invalidPayload),
        ([.text("2[\"connect\"]")], .reservedEventName("connect")),
        ([.text("2[\"connect_error\"]")], .reservedEventName("connect_error")),
        ([.text("2/a,[\"disconnect\"]")], .reservedEventName("disconnect")),
        ([.text("21[\"disconnecting\"]")], .reservedEventName("disconnecting")),
        ([.text("2[\"newListener\"]")], .reservedEventName("newListener")),
        ([.text("51-[\"removeListener\",{\"_placeholder\":true,\"num\":0}]")], .reservedEventName("removeListener")),
    ]

    @Test(arguments: cases)
    func rejects(messages: [EngineData], error: SocketParseError) throws {
        var decoder = SocketPacketDecoder()
        for message in messages.dropLast() { _ = try decoder.decode(message) }
        #expect(throws: error) { try decoder.decode(messages[messages.count - 1]) }
    }

    @Test func tableIsLargeEnough() {
        #expect(Self.cases.count >= 25)
    }

    /// socket.io-parser accepts these; the session ignores what it cannot use.
    @Test(arguments: ["3[\"x\"]", "3/admin,[\"x\"]", "2", "2/admin,"])
    func acceptsWhatTheReferenceParserAccepts(text: String) throws {
        var decoder = SocketPacketDecoder()
        #expect(try decoder.decode(.text(text)) != nil)
    }
}
