import Testing
@testable import EngineIO

/// Bad input refused early: a POST whose declared length is past `maxPayload`, and WebSocket text
/// frames that are not UTF-8 (RFC 6455 §8.1: the endpoint fails the connection with 1007).
@Suite struct EngineHardeningTests {
    let small = EngineSession.Configuration(maxPayload: 5)

    @Test func aDeclaredLengthPastMaxPayloadGets413AtTheHeadAndTheSessionGoesOn() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, configuration: small, now: .at(0))
        #expect(session.handle(.postBegan(contentType: "text/plain;charset=UTF-8", contentLength: 1_000_000_000_000),
                               now: .at(1)) == [.respond(.payloadTooLarge)])
        #expect(session.phase == .open)
        // The refused POST is not pending: the next one is taken, at exactly maxPayload.
        #expect(session.handle(.postBegan(contentType: nil, contentLength: 5), now: .at(2)) == [])
        #expect(session.handle(.postCompleted(body: bytes("4hell")), now: .at(3))
            == [.deliver(.text("hell")), .respond(.ok)])
    }

    @Test func aDeclaredLengthDoesNotOverrideTheOtherRefusals() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, configuration: small, now: .at(0))
        #expect(session.handle(.postBegan(contentType: "application/octet-stream", contentLength: 99), now: .at(1))
            == [.respond(.bareBadRequest), .closed(.transportError), .cancelTimer])
        #expect(session.handle(.postBegan(contentType: nil, contentLength: 99), now: .at(2))
            == [.respond(EngineError(.unknownSessionID).response)])
    }

    @Test func invalidUTF8OnTheCurrentWebSocketClosesWith1007() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .websocket, now: .at(0))
        #expect(session.handle(.invalidTextFrame(on: .current), now: .at(1))
            == [.closeWebSocket(.current, code: .invalidPayload), .closed(.transportError), .cancelTimer])
        #expect(session.handle(.invalidTextFrame(on: .current), now: .at(2)) == [])
    }

    @Test func invalidUTF8OnAProbeDropsTheUpgradeOnly() {
        var (session, _) = EngineSession.open(sid: "s1", transport: .polling, now: .at(0))
        _ = session.handle(.upgradeRequested, now: .at(1))
        #expect(session.handle(.invalidTextFrame(on: .probe), now: .at(2))
            == [.closeWebSocket(.probe, code: .invalidPayload), .scheduleTimer(.at(25000))])
        #expect(!session.isUpgrading)
        #expect(session.phase == .open)
        #expect(session.handle(.invalidTextFrame(on: .current), now: .at(3)) == [], "polling has no text frames")
    }

    @Test func closeCodesAreRFC6455s() {
        #expect(WebSocketCloseCode.normalClosure.rawValue == 1000)
        #expect(WebSocketCloseCode.invalidPayload.rawValue == 1007)
    }
}
