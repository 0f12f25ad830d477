import NIOCore
import Testing
@testable import Edge

/// The edge's default `loops`: one per core the process may run on, as its affinity mask says
/// (the interop test `test_edge_loops.py` starts a real edge under `taskset`).
@Suite struct DefaultLoopsTests {
    @Test func isBetweenOneAndTheCoresNIOCounts() {
        #expect((1...System.coreCount).contains(EdgeServer.defaultLoops))
    }

    @Test func countsTheCoresOfTheAllowedMask() {
        let status = "Name:\tedge\nCpus_allowed:\t%@\nCpus_allowed_list:\t0\n"
        #expect(EdgeServer.affinityCores(inStatus: status.replacingOccurrences(of: "%@", with: "1")) == 1)
        #expect(EdgeServer.affinityCores(inStatus: status.replacingOccurrences(of: "%@", with: "3")) == 2)
        #expect(EdgeServer.affinityCores(inStatus: status.replacingOccurrences(of: "%@", with: "f0,00000001")) == 5)
        #expect(EdgeServer.affinityCores(inStatus: status.replacingOccurrences(of: "%@", with: "ff,ffffffff")) == 40)
    }

    @Test func anUnreadableMaskCountsNothing() {
        #expect(EdgeServer.affinityCores(inStatus: "Name:\tedge\n") == nil)
        #expect(EdgeServer.affinityCores(inStatus: "Cpus_allowed:\tzz\n") == nil)
        #expect(EdgeServer.affinityCores(inStatus: "Cpus_allowed:\t0\n") == nil)
    }
}
