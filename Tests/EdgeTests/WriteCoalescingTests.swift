import Bus
import Contracts
import Foundation
import NIOEmbedded
import Testing
@testable import Edge

/// Frames to one socket in one loop turn leave in one write and one flush (issue 12: a room's
/// or namespace's broadcasts, an ack and an emit), however many bus messages brought them.
@Suite(.serialized) struct WriteCoalescingTests {
    /// The writes and flushes that reached `client`'s channel head so far.
    private func counts(_ client: TestClient) throws -> (writes: Int, flushes: Int) {
        let reader = try client.channel.pipeline.syncOperations.handler(type: WrittenFrameReader.self)
        return (reader.writes, reader.flushes)
    }

    /// The envelope of a namespace-wide emit of `newOnlineUser` for `user`, as presence sends it.
    private func add(_ user: Int) -> Envelope {
        let body = #"[{"op":"emit","ns":"/","event":"newOnlineUser","args":[{"type":"Add","userID":"\#(user)"}],"to":{"all":true}}]"#
        return Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: "presence-1", id: "add-\(user)"),
                        body: Data(body.utf8))
    }

    @Test func broadcastsOfOneTurnLeaveInOneWritePerSocket() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        let b = try edge.client("b")
        _ = try (a.received(), b.received())
        let before = try (counts(a), counts(b))
        for user in 1...3 { edge.hub.receive(add(user)) }
        edge.run()
        let expected = (1...3).map { #"42["newOnlineUser",{"type":"Add","userID":"\#($0)"}]"# }
        #expect(try a.received() == expected)
        #expect(try b.received() == expected)
        let after = try (counts(a), counts(b))
        #expect(after.0.writes - before.0.writes == 1 && after.0.flushes - before.0.flushes == 1)
        #expect(after.1.writes - before.1.writes == 1 && after.1.flushes - before.1.flushes == 1)
    }

    @Test func aBroadcastArrivingDuringTheFlushJoinsTheSocketsNotWrittenYet() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        let b = try edge.client("b")
        _ = try (a.received(), b.received())
        let before = try (counts(a), counts(b))
        // The second broadcast reaches the loop while it writes the first to one of the two sockets.
        var arrived = false
        for client in [a, b] {
            try client.channel.pipeline.syncOperations.handler(type: WrittenFrameReader.self).beforeWrite = {
                guard !arrived else { return }
                arrived = true
                edge.hub.receive(self.add(2))
            }
        }
        edge.hub.receive(add(1))
        edge.run()
        let expected = (1...2).map { #"42["newOnlineUser",{"type":"Add","userID":"\#($0)"}]"# }
        #expect(try a.received() == expected)
        #expect(try b.received() == expected)
        let after = try (counts(a), counts(b))
        // The socket written first gets the second broadcast in a write of its own, the other both in one.
        let writes = [after.0.writes - before.0.writes, after.1.writes - before.1.writes]
        #expect(writes.sorted() == [1, 2])
    }

    @Test func aLoopWithoutStateDropsItsListsAndTakesThemOnceItHasState() async throws {
        let other = EmbeddedEventLoop()
        let edge = await EdgeHarness(otherLoops: [other])
        let a = try edge.client("a")
        _ = try a.received()
        let inbox = edge.hub.loops[1].inbox
        edge.hub.receive(add(1))
        edge.run()
        other.run()
        #expect(!inbox.hasItems)
        _ = edge.hub.edgeLoop(on: other)
        edge.hub.receive(add(2))
        edge.run()
        other.run()
        #expect(!inbox.hasItems)
        #expect(try a.received() == (1...2).map { #"42["newOnlineUser",{"type":"Add","userID":"\#($0)"}]"# })
    }

    @Test func anAckAndTheBroadcastsAfterItShareAWrite() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        _ = try a.received()
        try a.send(#"421["addOnlineUser",{"userID":"7"}]"#)
        let before = try counts(a)
        try edge.bus.reply(to: edge.bus.sent[0], [.ack(Ack(sid: a.sid, args: []))])
        edge.hub.receive(add(7))
        edge.run()
        #expect(try a.received() == [#"431[]"#, #"42["newOnlineUser",{"type":"Add","userID":"7"}]"#])
        let after = try counts(a)
        #expect(after.writes - before.writes == 1 && after.flushes - before.flushes == 1)
    }
}
