import Bus
import Contracts
import Foundation
import Logging
import NIOEmbedded
import Testing

@testable import Edge

/// An Engine.IO session id names the loop its session lives on, so that a request of it that
/// comes in on another loop's connection is carried out there; a socket's id names its loop
/// too, so that a list naming sockets only by sid is handed to their loops alone.
struct SessionLoopTests {
    @Test func anIdNamesItsLoop() {
        for loop in [0, 1, 7, 63, 64, 1000, 4095] {
            let sid = SocketID.make(loop: loop)
            #expect(sid.utf8.count == 20)
            #expect(SocketID.loop(of: sid) == loop)
        }
    }

    @Test func idsItCannotHaveMadeNameNoLoop() {
        #expect(SocketID.loop(of: "") == nil)
        #expect(SocketID.loop(of: "AB") == nil)
        #expect(SocketID.loop(of: "!!aaaaaaaaaaaaaaaaaa") == nil)
        #expect(SocketID.loop(of: "AAaaaaaaaaaaaaaaaaaaa") == nil)
    }

    @Test func idsOfOneLoopDiffer() {
        let ids = Set((0..<1000).map { _ in SocketID.make(loop: 3) })
        #expect(ids.count == 1000)
    }

    @Test func aSocketIdNamesItsLoop() async throws {
        let edge = await EdgeHarness(otherLoops: [EmbeddedEventLoop()])
        let a = try edge.client("a")
        #expect(SocketID.loop(of: a.sid) == 0)
    }

    @Test func aListNamingSocketsBySidGoesToTheirLoopsAlone() async throws {
        let other = EmbeddedEventLoop()
        let edge = await EdgeHarness(otherLoops: [other])
        _ = edge.hub.edgeLoop(on: other)
        let a = try edge.client("a")
        _ = try a.received()
        let inbox = edge.hub.loops[1].inbox
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"hi","args":[],"to":{"sids":["<a>"]}}]"#)
        #expect(!inbox.hasItems)
        #expect(try a.received() == [#"42["hi"]"#])
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["r"],"sids":["<a>"]},{"op":"ack","sid":"<a>","args":[]}]"#)
        #expect(!inbox.hasItems)
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"hi","args":[],"to":{"rooms":["r"]}}]"#)
        #expect(inbox.hasItems)
        other.run()
        #expect(!inbox.hasItems)
        #expect(try a.received() == [#"42["hi"]"#])
    }

    @Test func whichLoopsAListNames() throws {
        func loops(_ body: String) throws -> Set<Int>? {
            let envelope = Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: "svc-1"), body: Data(body.utf8))
            return try #require(InstructionList(envelope, logger: Logger(label: "test"))).loopsOfNamedSockets()
        }
        let (one, two) = (SocketID.make(loop: 1), SocketID.make(loop: 2))
        #expect(try loops(#"[{"op":"ack","sid":"\#(one)","args":[]}]"#) == [])
        #expect(try loops(#"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"sids":["\#(one)","\#(two)"]}}]"#) == [1, 2])
        #expect(try loops(#"[{"op":"disconnect","ns":"/","sids":["\#(two)"]},{"op":"leave","ns":"/","rooms":["r"],"sids":["x"]}]"#) == [2])
        #expect(try loops(#"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"all":true}}]"#) == nil)
        #expect(try loops(#"[{"op":"emit","ns":"/","event":"e","args":[],"to":{"users":["u"]}}]"#) == nil)
        #expect(try loops(#"[{"op":"join","ns":"/","rooms":["r"],"users":["u"]}]"#) == nil)
    }
}
