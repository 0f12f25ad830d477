import EngineIO
import NIOCore
import Testing
@testable import Edge

/// What an idle connection keeps: the edge's memory per connection (docs/benchmarks.md, issue 11)
/// is mostly what each joined socket holds after its CONNECT, so these pin down the parts of it
/// the edge chose to drop.
@Suite struct IdleConnectionTests {
    @Test func aJoinedSocketLeavesNoAuthorizationTableBehind() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        #expect(a.driver.authorizing.isEmpty)
        #expect(a.driver.authorizing.capacity == 0, "the table's storage went with its last entry")
        #expect(edge.edge.sockets[a.sid]?.driver === a.driver)
    }

    @Test func aRefusedConnectLeavesNoAuthorizationTableBehind() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a", joining: nil)
        try a.send("40/nowhere,")
        #expect(try a.received() == [#"44/nowhere,{"message":"Invalid namespace"}"#])
        #expect(a.driver.authorizing.capacity == 0)
    }

    @Test func answeredAndTimedOutAcksLeaveNoAckTableBehind() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"q","args":[],"to":{"sids":["<a>"]},"ack":{"event":"r"}}]"#)
        #expect(a.driver.serverAcks.count == 1)
        try a.send(#"431["fine"]"#)
        #expect(a.driver.serverAcks.capacity == 0, "the table's storage went with its last entry")
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"q","args":[],"to":{"sids":["<a>"]},"ack":{"event":"r","timeoutMs":100}}]"#)
        edge.loop.advanceTime(to: edge.edge.deadline(edge.edge.now + Int64(150)))
        #expect(edge.sentEvents().last?.contains(#""error":"TIMEOUT""#) == true)
        #expect(a.driver.serverAcks.capacity == 0)
    }

    @Test func aSocketsRecordGoesWithItsDisconnect() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        let sid = a.sid
        try a.send("41")
        #expect(edge.edge.sockets[sid] == nil)
    }

    @Test func receiveBuffersStartSmall() {
        let buffer = EdgeServer.receiveBuffers.buffer(allocator: ByteBufferAllocator())
        #expect(buffer.capacity <= 512, "an idle connection keeps its last receive buffer")
        #expect(EdgeServer.receiveBuffers.maximum == 65_536, "a busy one still grows it as NIO's default does")
    }
}
