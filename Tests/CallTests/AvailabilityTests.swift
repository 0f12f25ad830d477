import Contracts
import Foundation
import GRDB
import ServiceKit
import Testing
@testable import Call

/// The telecallers stored as set unavailable.
private func storedUnavailable(_ h: ServiceHarness) async throws -> [String] {
    try await h.database.read { try String.fetchAll($0, sql: "SELECT telecaller_id FROM telecaller_unavailable") }
}

/// The mirror's initial state at a start: `sockets` of edge `edge-1`.
private func snapshot(_ h: ServiceHarness, _ sockets: [CallSocket], engine: CallEngine) async throws {
    try await h.initial(sockets.map { LifeSocket(sid: $0.sid, ns: $0.ns, user: $0.identity) }, engine: engine)
}

/// Availability is stored (a restart keeps it), and refused events are acknowledged.
@Suite struct AvailabilityTests {
    @Test func aTelecallerSetUnavailableStaysUnavailableAcrossARestart() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(telecallerSocket("t1"), CallBook.setAvailabilityEvent, ["available": false])
        #expect(try await storedUnavailable(h) == ["t1"])

        let engine = h.restarted()
        let loaded = try await engine.load(from: h.database)
        #expect(loaded.unavailable == ["t1"])
        try await snapshot(h, [userSocket("u1"), telecallerSocket("t1")], engine: engine)
        let rebuilt = try await engine.finishRebuild(loaded, through: h.write)
        #expect(!rebuilt.events.contains("telecaller:presence-changed"), "not announced ONLINE again")
        #expect(engine.book.presence(of: "t1") == .offline)
        let refused = try await engine.clientEvent(
            h.event(ns: "/user", "call:initiate", [["telecallerId": "t1", "callType": "AUDIO"]], sid: "su-u1",
                    user: userSocket("u1").identity), context: h.context())
        #expect(refused.events == ["call:error"])

        let back = try await engine.clientEvent(
            h.event(ns: "/telecaller", CallBook.setAvailabilityEvent, [["available": true]], sid: "st-t1",
                    user: telecallerSocket("t1").identity), context: h.context())
        #expect(back.events == ["telecaller:presence-changed"])
        #expect(try await storedUnavailable(h).isEmpty)
    }

    @Test func theFlagGoesWithTheLastSocketEvenWhileTheServiceIsAway() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(telecallerSocket("t1"), CallBook.setAvailabilityEvent, ["available": false])
        // While connected, the last socket's disconnect clears it.
        try await h.life(.disconnected, telecallerSocket("t1"))
        #expect(try await storedUnavailable(h).isEmpty)

        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(telecallerSocket("t1"), CallBook.setAvailabilityEvent, ["available": false])
        // The telecaller leaves while the service is down: the next start's snapshot lacks them.
        let engine = h.restarted()
        let loaded = try await engine.load(from: h.database)
        try await snapshot(h, [userSocket("u1")], engine: engine)
        _ = try await engine.finishRebuild(loaded, through: h.write)
        #expect(engine.book.unavailable.isEmpty)
        #expect(try await storedUnavailable(h).isEmpty)
        let again = try await h.life(.connected, telecallerSocket("t1"), engine: engine)
        #expect(again.events == ["telecaller:presence-changed"] && engine.book.presence(of: "t1") == .online)
    }

    @Test func aRefusedEventIsAcknowledgedWithItsError() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, telecallerSocket("t1"))
        let telecaller = telecallerSocket("t1")
        let refused = try await h.engine.clientEvent(
            h.event(ns: "/telecaller", "call:accept", [["callId": "nope"]], sid: telecaller.sid,
                    user: telecaller.identity, ack: true), context: h.context())
        #expect(refused.last == .ack(Ack(sid: telecaller.sid, args: [["success": false, "error": "Call not found."]])))
        // A success leaves its ack to the runtime (the route's automatic {success: true}).
        let accepted = try await h.engine.clientEvent(
            h.event(ns: "/telecaller", CallBook.setAvailabilityEvent, [["available": false]], sid: telecaller.sid,
                    user: telecaller.identity, ack: true), context: h.context())
        #expect(!accepted.contains { if case .ack = $0 { true } else { false } })
    }
}
