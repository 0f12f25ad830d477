import Testing
@testable import EngineIO

/// Helpers shared by the session tests: a clock starting at 1000 ms and short-hands.
extension EngineTime {
    static func at(_ milliseconds: Int64) -> EngineTime { EngineTime(milliseconds: milliseconds) }
}

extension EngineAction {
    static func poll(_ payload: String) -> EngineAction { .respondToPoll(.poll(payload)) }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

let openJSON = #"{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#

@Suite struct EngineSessionTests {
    @Test func pollingHandshakeAnswersWithTheOpenPacket() {
        let (session, actions) = EngineSession.open(sid: "s1", transport: .polling, now: .at(1000))
        #expect(actions == [.poll("0" + openJSON), .scheduleTimer(.at(26000))])
        #expect(session.phase == .open)
    }

    @Test func webSocketHandshakeSendsTheOpenFrameWithoutUpgrades() {
        let configuration = EngineSession.Configuration(pingInterval: 300, pingTimeout: 200, maxPayload: 1_000_000)
        let (_, actions) = EngineSession.open(sid: "s1", transport: .websocket, configuration: configuration,
                                              now: .at(0))
        let open = #"0{"sid":"s1","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        #expect(actions == [.sendFrames([.text(open)], on: .current), .scheduleTimer(.at(300))])
    }

    @Test func heartbeatPingsAndWaitsForPong() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .websocket, now: .at(1000))
        #expect(session.handle(.timerFired, now: .at(26000))
            == [.sendFrames([.text("2")], on: .current), .scheduleTimer(.at(46000))])
        #expect(session.handle(.frameReceived(.text("3"), on: .current), now: .at(26050))
            == [.scheduleTimer(.at(51050))])
        #expect(session.handle(.timerFired, now: .at(51050))
            == [.sendFrames([.text("2")], on: .current), .scheduleTimer(.at(71050))])
    }

    @Test func missingPongClosesWithPingTimeout() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(1000))
        _ = session.handle(.timerFired, now: .at(26000))
        #expect(session.handle(.pollArrived, now: .at(26001)) == [.poll("2")])
        #expect(session.handle(.pollArrived, now: .at(26002)) == [])
        #expect(session.handle(.timerFired, now: .at(46000)) == [.poll("1"), .closed(.pingTimeout)])
        #expect(session.phase == .closed(.pingTimeout))
    }

    @Test func earlyTimerDoesNothing() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .websocket, now: .at(1000))
        #expect(session.handle(.timerFired, now: .at(2000)) == [.scheduleTimer(.at(26000))])
    }

    @Test func messagesAreDeliveredAndBatchedForPolling() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        #expect(session.handle(.send([.text("a"), .binary([1, 2, 3])]), now: .at(1)) == [])
        #expect(session.handle(.pollArrived, now: .at(2)) == [.poll("4a\u{1E}bAQID")])
        #expect(session.handle(.postBegan(contentType: "text/plain;charset=UTF-8"), now: .at(3)) == [])
        #expect(session.handle(.postCompleted(body: bytes("4hi\u{1E}bAQID")), now: .at(4))
            == [.deliver(.text("hi")), .deliver(.binary([1, 2, 3])), .respond(.ok)])
    }

    @Test func secondConcurrentGetIsRefusedAndCloses() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.pollArrived, now: .at(1))
        #expect(session.handle(.pollArrived, now: .at(2))
            == [.respond(.bareBadRequest), .poll("1"), .closed(.transportError), .cancelTimer])
        #expect(session.handle(.pollArrived, now: .at(3)) == [.respond(EngineError(.unknownSessionID).response)])
    }

    @Test func secondConcurrentPostIsRefusedAndCloses() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        #expect(session.handle(.postBegan(contentType: nil), now: .at(1)) == [])
        #expect(session.handle(.postBegan(contentType: nil), now: .at(2))
            == [.respond(.bareBadRequest), .closed(.transportError), .cancelTimer])
    }

    @Test func binaryPostBodyIsRefused() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        #expect(session.handle(.postBegan(contentType: "application/octet-stream"), now: .at(1))
            == [.respond(.bareBadRequest), .closed(.transportError), .cancelTimer])
    }

    @Test func oversizedPostGets413AndTheSessionGoesOn() {
        let configuration = EngineSession.Configuration(maxPayload: 5)
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, configuration: configuration,
                                              now: .at(0))
        _ = session.handle(.postBegan(contentType: nil), now: .at(1))
        #expect(session.handle(.postCompleted(body: bytes("4hello")), now: .at(2)) == [.respond(.payloadTooLarge)])
        _ = session.handle(.postBegan(contentType: nil), now: .at(3))
        #expect(session.handle(.postCompleted(body: bytes("4hell")), now: .at(4))
            == [.deliver(.text("hell")), .respond(.ok)])
    }

    @Test func oversizedFrameClosesTheWebSocket() {
        let configuration = EngineSession.Configuration(maxPayload: 5)
        var (session, _) = EngineSession.open(sid: "s1", transport: .websocket, configuration: configuration,
                                              now: .at(0))
        #expect(session.handle(.frameReceived(.binary([0, 1, 2, 3, 4, 5]), on: .current), now: .at(1))
            == [.closeWebSocket(.current), .closed(.transportError), .cancelTimer])
    }

    @Test func undecodablePostClosesWithParseErrorButAnswersOk() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.postBegan(contentType: nil), now: .at(1))
        #expect(session.handle(.postCompleted(body: bytes("4a\u{1E}x")), now: .at(2))
            == [.closed(.parseError), .respond(.ok), .cancelTimer])
    }

    @Test func clientCloseAndClientPing() {
        var (polling, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = polling.handle(.postBegan(contentType: nil), now: .at(1))
        #expect(polling.handle(.postCompleted(body: bytes("1")), now: .at(2))
            == [.closed(.transportClose), .respond(.ok), .cancelTimer])
        var (socket, _) = EngineSession.open(sid: "s2", transport: .websocket, now: .at(0))
        #expect(socket.handle(.frameReceived(.text("2"), on: .current), now: .at(1))
            == [.closeWebSocket(.current), .closed(.transportError), .cancelTimer])
    }

    @Test func transportHangUps() {
        var (socket, _) = EngineSession.open(sid: "s1", transport: .websocket, now: .at(0))
        #expect(socket.handle(.channelClosed(.webSocket(.current)), now: .at(1))
            == [.closeWebSocket(.current), .closed(.transportClose), .cancelTimer])
        var (polling, _) = EngineSession.open(sid: "s2", transport: .polling, now: .at(0))
        _ = polling.handle(.pollArrived, now: .at(1))
        #expect(polling.handle(.channelClosed(.poll), now: .at(2)) == [.closed(.transportError), .cancelTimer])
    }

    @Test func serverCloseReleasesAPendingGetAtOnce() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.pollArrived, now: .at(1))
        #expect(session.handle(.close, now: .at(2)) == [.poll("1"), .closed(.forcedClose), .cancelTimer])
    }

    @Test func serverCloseWithoutGetWaitsForTheNextOne() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.send([.text("bye")]), now: .at(1))
        #expect(session.handle(.close, now: .at(2)) == [.scheduleTimer(.at(30002))])
        #expect(session.handle(.send([.text("late")]), now: .at(3)) == [])
        #expect(session.handle(.pollArrived, now: .at(4))
            == [.poll("4bye\u{1E}1"), .closed(.forcedClose), .cancelTimer])
    }

    @Test func closingSessionGivesUpAfterCloseTimeout() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.close, now: .at(2))
        #expect(session.handle(.timerFired, now: .at(30002)) == [.closed(.forcedClose)])
    }

    @Test func serverCloseOfAWebSocket() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .websocket, now: .at(0))
        #expect(session.handle(.close, now: .at(1)) == [.closeWebSocket(.current), .closed(.forcedClose), .cancelTimer])
    }
}
