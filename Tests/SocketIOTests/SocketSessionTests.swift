import Contracts
import EngineIO
import Testing
@testable import SocketIO

extension EngineTime {
    static func at(_ milliseconds: Int64) -> EngineTime { EngineTime(milliseconds: milliseconds) }
}

extension SocketAction {
    static func sendText(_ text: String) -> SocketAction { .send([.text(text)]) }
}

@Suite struct SocketSessionTests {
    static let configuration = SocketSession.Configuration(namespaces: ["/", "/admin"])

    /// A session where `/` is joined as `sid1` at 10 ms.
    func joined() -> SocketSession {
        var session = SocketSession.open(configuration: Self.configuration, now: .at(0)).0
        _ = session.handle(.received(.text("0")), now: .at(5))
        _ = session.handle(.accept(namespace: "/", sid: "sid1"), now: .at(10))
        return session
    }

    @Test func connectIsAuthorizedThenAccepted() {
        var (session, opening) = SocketSession.open(configuration: Self.configuration, now: .at(0))
        #expect(opening == [.scheduleTimer(.at(45000))])
        #expect(session.handle(.received(.text(#"0/admin,{"token":"t"}"#)), now: .at(1))
            == [.authorize(namespace: "/admin", auth: ["token": "t"])])
        #expect(session.handle(.accept(namespace: "/admin", sid: "A1"), now: .at(2))
            == [.sendText(#"0/admin,{"sid":"A1"}"#), .connected(namespace: "/admin", sid: "A1"), .cancelTimer])
        #expect(session.connection("/admin")?.sid == "A1")
    }

    @Test func rejectedConnectGetsConnectError() {
        var session = SocketSession.open(configuration: Self.configuration, now: .at(0)).0
        _ = session.handle(.received(.text("0")), now: .at(1))
        #expect(session.handle(.reject(namespace: "/", data: ["message": "Not authorized"]), now: .at(2))
            == [.sendText(#"4{"message":"Not authorized"}"#)])
        #expect(session.memberships.isEmpty)
        #expect(session.handle(.accept(namespace: "/", sid: "late"), now: .at(3)) == [])
    }

    @Test func unknownNamespaceIsInvalid() {
        var session = SocketSession.open(configuration: Self.configuration, now: .at(0)).0
        #expect(session.handle(.received(.text("0/nope,")), now: .at(1))
            == [.sendText(#"4/nope,{"message":"Invalid namespace"}"#)])
    }

    @Test func connectTimeoutClosesWhenNothingJoined() {
        var session = SocketSession.open(now: .at(0)).0
        _ = session.handle(.received(.text("0")), now: .at(1))
        #expect(session.handle(.timerFired, now: .at(45000)) == [.closeConnection(.connectTimeout)])
        #expect(session.isClosed)
        #expect(session.handle(.accept(namespace: "/", sid: "x"), now: .at(45001)) == [])
    }

    @Test func namespacesAreMultiplexed() {
        var session = joined()
        _ = session.handle(.received(.text("0/admin,")), now: .at(11))
        _ = session.handle(.accept(namespace: "/admin", sid: "A1"), now: .at(12))
        #expect(session.handle(.received(.text("1/admin,")), now: .at(13))
            == [.disconnected(namespace: "/admin", sid: "A1", reason: .clientNamespaceDisconnect)])
        #expect(session.handle(.received(.text(#"2["still",true]"#)), now: .at(14))
            == [.event(namespace: "/", sid: "sid1", arguments: ["still", true], attachments: [], ackID: nil)])
        // After leaving /admin, an event for it is a packet for a namespace not joined: it ends the connection.
        #expect(session.handle(.received(.text(#"2/admin,["gone"]"#)), now: .at(15)).last
            == .closeConnection(.parseError(.invalidState)))
    }

    @Test func clientEventWithAckIsAnsweredOnce() {
        var session = joined()
        #expect(session.handle(.received(.text(#"27["ask",1]"#)), now: .at(20))
            == [.event(namespace: "/", sid: "sid1", arguments: ["ask", 1], attachments: [], ackID: 7)])
        let answer = SocketEvent.acknowledge(namespace: "/", ackID: 7, arguments: ["yes"], attachments: [])
        #expect(session.handle(answer, now: .at(21)) == [.sendText(#"37["yes"]"#)])
        #expect(session.handle(answer, now: .at(22)) == [])
    }

    @Test func serverEmitWithAckAndTimeout() {
        var session = joined()
        let emit = SocketEvent.emit(namespace: "/", arguments: ["q"], attachments: [], expectsAck: true,
                                    ackTimeout: 5000)
        #expect(session.handle(emit, now: .at(100))
            == [.awaitingAck(namespace: "/", sid: "sid1", ackID: 1), .sendText(#"21["q"]"#),
                .scheduleTimer(.at(5100))])
        #expect(session.handle(emit, now: .at(200))
            == [.awaitingAck(namespace: "/", sid: "sid1", ackID: 2), .sendText(#"22["q"]"#)])
        #expect(session.handle(.received(.text(#"32["a"]"#)), now: .at(300))
            == [.ackReceived(namespace: "/", sid: "sid1", ackID: 2, arguments: ["a"], attachments: [])])
        #expect(session.handle(.timerFired, now: .at(5100))
            == [.ackTimedOut(namespace: "/", sid: "sid1", ackID: 1)])
        #expect(session.handle(.received(.text(#"31["late"]"#)), now: .at(5200)) == [])
    }

    @Test func serverEmitWithoutAckAndBinary() {
        var session = joined()
        let emit = SocketEvent.emit(namespace: "/", arguments: ["bin", SocketPacket.placeholder(0)],
                                    attachments: [[1, 2]], expectsAck: false, ackTimeout: nil)
        #expect(session.handle(emit, now: .at(20))
            == [.send([.text(#"51-["bin",{"_placeholder":true,"num":0}]"#), .binary([1, 2])])])
    }

    @Test func binaryEventFromClient() {
        var session = joined()
        #expect(session.handle(.received(.text(#"51-["up",{"_placeholder":true,"num":0}]"#)), now: .at(20)) == [])
        #expect(session.handle(.received(.binary([9])), now: .at(21))
            == [.event(namespace: "/", sid: "sid1", arguments: ["up", SocketPacket.placeholder(0)],
                       attachments: [[9]], ackID: nil)])
    }

    @Test func serverDisconnectKeepsOtherNamespaces() {
        var session = joined()
        _ = session.handle(.received(.text("0/admin,")), now: .at(11))
        _ = session.handle(.accept(namespace: "/admin", sid: "A1"), now: .at(12))
        #expect(session.handle(.disconnect(namespace: "/"), now: .at(13))
            == [.sendText("1"), .disconnected(namespace: "/", sid: "sid1", reason: .serverNamespaceDisconnect)])
        #expect(session.connection("/admin") != nil)
    }

    @Test func malformedPacketClosesEverything() {
        var session = joined()
        _ = session.handle(.received(.text("0/admin,")), now: .at(11))
        _ = session.handle(.accept(namespace: "/admin", sid: "A1"), now: .at(12))
        let reason = SocketDisconnectReason.parseError(.reservedEventName("connect"))
        #expect(session.handle(.received(.text(#"2["connect"]"#)), now: .at(13)) == [
            .disconnected(namespace: "/", sid: "sid1", reason: reason),
            .disconnected(namespace: "/admin", sid: "A1", reason: reason),
            .closeConnection(reason),
        ])
        #expect(reason.description == "parse error")
    }

    @Test func engineCloseDisconnectsEveryone() {
        var session = joined()
        _ = session.handle(.emit(namespace: "/", arguments: ["q"], attachments: [], expectsAck: true,
                                 ackTimeout: 1000), now: .at(20))
        #expect(session.handle(.engineClosed(.pingTimeout), now: .at(30))
            == [.disconnected(namespace: "/", sid: "sid1", reason: .transport(.pingTimeout)), .cancelTimer])
        #expect(SocketDisconnectReason.transport(.pingTimeout).description == "ping timeout")
    }

    /// The reference closes the connection on a CONNECT for a namespace it already has a socket for.
    @Test func repeatedConnectClosesTheConnection() {
        var session = joined()
        #expect(session.handle(.received(.text("0")), now: .at(20)) == [
            .disconnected(namespace: "/", sid: "sid1", reason: .parseError(.invalidState)),
            .closeConnection(.parseError(.invalidState)),
        ])
    }

    /// The reference closes the connection on any other packet for a namespace it has no socket for.
    @Test(arguments: [#"2/other,["x"]"#, "1/other,", #"4/other,{"message":"x"}"#, #"3/other,1["x"]"#])
    func packetsForANamespaceNotJoinedCloseTheConnection(text: String) {
        var session = joined()
        #expect(session.handle(.received(.text(text)), now: .at(20)).last == .closeConnection(.parseError(.invalidState)))
    }
}

@Suite struct ServerAckTimeoutTests {
    /// An answered emit without a timeout must not make a later timed emit expire at once.
    @Test func aTimedAckAfterAnUntimedOneWaitsForItsDeadline() {
        var session = SocketSession.open(configuration: .init(), now: .at(0)).0
        _ = session.handle(.received(.text("0")), now: .at(1))
        _ = session.handle(.accept(namespace: "/", sid: "s"), now: .at(2))
        _ = session.handle(.emit(namespace: "/", arguments: ["q"], attachments: [], expectsAck: true, ackTimeout: nil),
                           now: .at(3))
        _ = session.handle(.received(.text(#"31["a"]"#)), now: .at(4))
        let timed = session.handle(.emit(namespace: "/", arguments: ["q"], attachments: [], expectsAck: true,
                                         ackTimeout: 500), now: .at(100))
        #expect(timed.contains(.scheduleTimer(.at(600))))
        #expect(!session.handle(.timerFired, now: .at(599)).contains { if case .ackTimedOut = $0 { true } else { false } })
        #expect(session.handle(.timerFired, now: .at(600)).contains(.ackTimedOut(namespace: "/", sid: "s", ackID: 2)))
    }
}
