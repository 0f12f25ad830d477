import Testing

@testable import Edge

/// An Engine.IO session id names the loop its session lives on, so that a request of it that
/// comes in on another loop's connection is carried out there.
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
}
