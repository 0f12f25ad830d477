import Contracts
import EngineIO
import Testing
@testable import SocketIO

/// Event names as socket.io dispatches them, and the CONNECT payload handed up as sent.
@Suite struct SocketEventNameTests {
    func joined() -> SocketSession {
        var session = SocketSession.open(now: .at(0)).0
        _ = session.handle(.received(.text("0")), now: .at(1))
        _ = session.handle(.accept(namespace: "/", sid: "s1"), now: .at(2))
        return session
    }

    /// socket.io-parser accepts a number as an event's name, and socket.io's EventEmitter keys
    /// listeners by strings: `42[123,"x"]` is the event `"123"`, not a refused packet.
    @Test func aNumberNamesTheEventOfItsDecimalText() {
        var session = joined()
        #expect(session.handle(.received(.text(#"2[123,"x"]"#)), now: .at(3))
            == [.event(namespace: "/", sid: "s1", arguments: ["123", "x"], attachments: [], ackID: nil)])
        #expect(session.handle(.received(.text(#"27[1.5]"#)), now: .at(4))
            == [.event(namespace: "/", sid: "s1", arguments: ["1.5"], attachments: [], ackID: 7)])
        #expect(!session.isClosed)
    }

    @Test func otherNamesCloseTheConnectionAsTheReferenceDoes() {
        var session = joined()
        let actions = session.handle(.received(.text(#"2[true,"x"]"#)), now: .at(3))
        #expect(actions.contains(.closeConnection(.parseError(.invalidPayload))))
        #expect(session.isClosed)
    }

    @Test(arguments: [
        (123.0, "123"), (1.5, "1.5"), (-2.25, "-2.25"), (0.0, "0"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
        (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (0.1, "0.1"), (123456.789, "123456.789"),
        (2.5e300, "2.5e+300"),
    ])
    func numbersAreWrittenAsJavaScriptWritesThem(number: Double, text: String) {
        #expect(SocketPacket.javaScriptText(number) == text)
    }

    /// socket.io-protocol "connection with a payload": the auth object goes up untouched.
    @Test func theConnectPayloadIsHandedUpAsSent() {
        var session = SocketSession.open(configuration: .init(namespaces: ["/", "/custom"]), now: .at(0)).0
        #expect(session.handle(.received(.text(#"0{"token":"123"}"#)), now: .at(1))
            == [.authorize(namespace: "/", auth: ["token": "123"])])
        #expect(session.handle(.received(.text(#"0/custom,{"token":"abc"}"#)), now: .at(2))
            == [.authorize(namespace: "/custom", auth: ["token": "abc"])])
    }
}
