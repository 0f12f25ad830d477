import Testing
@testable import EngineIO

@Suite struct EngineUpgradeTests {
    /// A polling session whose handshake GET was answered at 0 ms.
    func pollingSession() -> EngineSession {
        EngineSession.open(sid: "s1", transport: .polling, now: .at(0)).0
    }

    @Test func fullUpgradeDance() {
        var session = pollingSession()
        _ = session.handle(.pollArrived, now: .at(10))
        #expect(session.handle(.upgradeRequested, now: .at(20)) == [.acceptUpgrade, .scheduleTimer(.at(10020))])
        #expect(session.isUpgrading)
        #expect(session.handle(.frameReceived(.text("2probe"), on: .probe), now: .at(30))
            == [.sendFrames([.text("3probe")], on: .probe), .poll("6")])
        #expect(session.handle(.pollArrived, now: .at(35)) == [.poll("6")])
        _ = session.handle(.send([.text("queued")]), now: .at(40))
        #expect(session.handle(.frameReceived(.text("5"), on: .probe), now: .at(50))
            == [.completeUpgrade, .sendFrames([.text("4queued")], on: .current), .scheduleTimer(.at(25000))])
        #expect(session.transport == .websocket)
        #expect(session.handle(.send([.binary([7])]), now: .at(60)) == [.sendFrames([.binary([7])], on: .current)])
        #expect(session.handle(.frameReceived(.text("4up"), on: .current), now: .at(70)) == [.deliver(.text("up"))])
    }

    @Test func pollingAfterUpgradeIsABadRequest() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1))
        _ = session.handle(.frameReceived(.text("2probe"), on: .probe), now: .at(2))
        _ = session.handle(.frameReceived(.text("5"), on: .probe), now: .at(3))
        let badRequest = EngineAction.respond(EngineError(.badRequest).response)
        #expect(session.handle(.pollArrived, now: .at(4)) == [badRequest])
        #expect(session.handle(.postBegan(contentType: nil), now: .at(5)) == [badRequest])
        #expect(session.phase == .open)
    }

    @Test func secondWebSocketIsRefused() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1))
        #expect(session.handle(.upgradeRequested, now: .at(2)) == [.refuseUpgrade])
        _ = session.handle(.frameReceived(.text("5"), on: .probe), now: .at(3))
        #expect(session.handle(.upgradeRequested, now: .at(4)) == [.refuseUpgrade])
        var socket = EngineSession.open(sid: "s2", transport: .websocket, now: .at(0)).0
        #expect(socket.handle(.upgradeRequested, now: .at(1)) == [.refuseUpgrade])
    }

    @Test func upgradeTimeoutDropsTheProbeAndAllowsAnotherTry() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1000))
        #expect(session.handle(.timerFired, now: .at(11000)) == [.closeWebSocket(.probe), .scheduleTimer(.at(25000))])
        #expect(!session.isUpgrading)
        #expect(session.handle(.upgradeRequested, now: .at(12000)) == [.acceptUpgrade, .scheduleTimer(.at(22000))])
    }

    @Test func unexpectedProbePacketDropsTheProbe() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1))
        #expect(session.handle(.frameReceived(.text("4hi"), on: .probe), now: .at(2))
            == [.closeWebSocket(.probe), .scheduleTimer(.at(25000))])
        #expect(session.transport == .polling)
    }

    @Test func probeHangUpAbortsQuietly() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1))
        #expect(session.handle(.channelClosed(.webSocket(.probe)), now: .at(2)) == [.scheduleTimer(.at(25000))])
        #expect(!session.isUpgrading)
    }

    @Test func closingDuringUpgradeClosesTheProbeToo() {
        var session = pollingSession()
        _ = session.handle(.pollArrived, now: .at(1))
        _ = session.handle(.upgradeRequested, now: .at(2))
        #expect(session.handle(.close, now: .at(3))
            == [.poll("1"), .closeWebSocket(.probe), .closed(.forcedClose), .cancelTimer])
    }

    @Test func upgradeCompletionReleasesAStillPendingGet() {
        var session = pollingSession()
        _ = session.handle(.upgradeRequested, now: .at(1))
        _ = session.handle(.pollArrived, now: .at(2))
        #expect(session.handle(.frameReceived(.text("5"), on: .probe), now: .at(3))
            == [.poll("6"), .completeUpgrade, .scheduleTimer(.at(25000))])
    }
}
