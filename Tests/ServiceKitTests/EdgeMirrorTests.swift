import Contracts
import ServiceKit
import Testing

/// The mirror of the edges' sockets, with plain values: numbered facts in, changes and snapshot
/// requests out.
@Suite struct EdgeMirrorTests {
    let epoch: Int64 = 1000
    let ada = Identity(id: "7")

    func fact(_ seq: UInt64, _ fact: LifeFact, edge: String = "edge-a", epoch: Int64? = nil) -> LifeRecord {
        LifeRecord(edge: edge, stamp: LifeStamp(epoch: epoch ?? self.epoch, seq: seq), fact: fact)
    }

    func connected(_ sid: String, user: Identity? = nil) -> LifeFact {
        .connected(.init(sid: sid, ns: "/", user: user))
    }

    func joined(_ sid: String, _ room: String, user: Identity? = nil) -> LifeFact {
        .joined(.init(sid: sid, ns: "/", user: user, room: room))
    }

    func snapshot(_ seq: UInt64, _ sockets: [LifeSocket], edge: String = "edge-a", epoch: Int64? = nil) -> LifeRecord {
        fact(seq, .snapshot(sockets), edge: edge, epoch: epoch)
    }

    func ref(_ sid: String, edge: String = "edge-a") -> SocketRef { SocketRef(edge: edge, sid: sid) }

    /// A mirror past its start, with edge-a live at fact 2: socket s1 of Ada in room r.
    func live() -> EdgeMirror {
        var mirror = EdgeMirror(starting: false)
        _ = mirror.receive(fact(1, connected("s1", user: ada)), now: 0)
        _ = mirror.receive(fact(2, joined("s1", "r", user: ada)), now: 0)
        return mirror
    }

    @Test func theNextFactIsAppliedAndARepeatIsDropped() {
        var mirror = EdgeMirror(starting: false)
        let first = mirror.receive(fact(1, connected("s1", user: ada)), now: 0)
        #expect(first.changes == [.connected(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada))])
        let second = mirror.receive(fact(2, joined("s1", "r", user: ada)), now: 0)
        #expect(second.changes == [.joined(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"]), room: "r")])
        #expect(mirror.receive(fact(2, joined("s1", "r", user: ada)), now: 0) == EdgeMirror.Step())
        #expect(mirror.receive(fact(1, connected("s1", user: ada)), now: 0) == EdgeMirror.Step())
    }

    @Test func aGapAsksForASnapshotAndHoldsTheFactsUntilItComes() {
        var mirror = live()
        let gap = mirror.receive(fact(5, joined("s1", "q", user: ada)), now: 10)
        #expect(gap == EdgeMirror.Step(requests: ["edge-a"]))
        #expect(mirror.receive(fact(6, connected("s2")), now: 20).changes.isEmpty, "held back")
        #expect(mirror.awaiting == ["edge-a"])
        // The snapshot holds facts up to 5 (s1 in r and q; socket s3 came and s1 left nothing).
        let rebuilt = mirror.receive(snapshot(5, [LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["q", "r"]),
                                                  LifeSocket(sid: "s3", ns: "/")]), now: 30)
        #expect(rebuilt.changes == [
            .connected(ref("s2"), LifeSocket(sid: "s2", ns: "/")),
            .connected(ref("s3"), LifeSocket(sid: "s3", ns: "/")),
            .joined(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["q", "r"]), room: "q"),
        ], "only the difference: s1 stays, s2 (held fact 6) and s3 arrive, s1 joined q")
        #expect(mirror.awaiting.isEmpty)
        #expect(mirror.receive(fact(7, .disconnected(.init(sid: "s3", ns: "/"))), now: 40).changes.count == 1,
                "live again after the held facts")
    }

    @Test func aSnapshotTheHeldFactsDoNotContinueIsNotUsed() {
        var mirror = live()
        _ = mirror.receive(fact(9, connected("s2")), now: 10)
        // An old snapshot (another service's), holding up to 4: facts 5 to 8 are missing.
        let old = mirror.receive(snapshot(4, []), now: 20)
        #expect(old.changes.isEmpty)
        #expect(mirror.awaiting == ["edge-a"])
        #expect(mirror.receive(snapshot(4, []), now: 2000).requests == ["edge-a"], "asked again after the interval")
        let good = mirror.receive(snapshot(8, [LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"])]), now: 2100)
        #expect(good.changes == [.connected(ref("s2"), LifeSocket(sid: "s2", ns: "/"))])
    }

    @Test func aHelloAheadOfTheLastFactIsAGap() {
        var mirror = live()
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 2), now: 0) == EdgeMirror.Step())
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 3), now: 0).requests == ["edge-a"])
        let interval = EdgeMirror.Configuration().requestIntervalMilliseconds
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 3), now: interval - 1).requests.isEmpty)
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 3), now: interval).requests == ["edge-a"],
                "asked again on a hello a request interval later")
    }

    @Test func aNewEpochReplacesTheEdgesPart() {
        var mirror = live()
        let restarted = mirror.receive(fact(1, connected("t1", user: ada), epoch: 2000), now: 0)
        #expect(restarted.requests == ["edge-a"])
        let rebuilt = mirror.receive(snapshot(0, [], epoch: 2000), now: 10)
        #expect(rebuilt.changes == [
            .connected(ref("t1"), LifeSocket(sid: "t1", ns: "/", user: ada)),
            .disconnected(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"])),
        ], "the new socket first, then the old run's socket goes")
        #expect(mirror.receive(fact(5, connected("x"), epoch: 1000), now: 20) == EdgeMirror.Step(), "the old run is past")
    }

    @Test func aGoneEdgeIsDroppedAndRebuiltWhenItSpeaksAgain() {
        var mirror = live()
        let gone = mirror.gone("edge-a")
        #expect(gone.changes == [.disconnected(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"]))])
        #expect(mirror.gone("edge-a") == EdgeMirror.Step(), "once")
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 2), now: 0).requests == ["edge-a"])
        let back = mirror.receive(snapshot(2, [LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"])]), now: 10)
        #expect(back.changes == [
            .connected(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada)),
            .joined(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada, rooms: ["r"]), room: "r"),
        ])
    }

    @Test func startingHandsOnNothingUntilTheInitialState() {
        var mirror = EdgeMirror()
        #expect(mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 4), now: 0).requests == ["edge-a"])
        #expect(mirror.heard("edge-b", stream: LifeStamp(epoch: epoch, seq: 0), now: 0) == EdgeMirror.Step(),
                "an edge with no facts yet is up to date")
        #expect(mirror.receive(fact(5, connected("s2")), now: 0).changes.isEmpty)
        #expect(mirror.receive(snapshot(4, [LifeSocket(sid: "s1", ns: "/", user: ada)]), now: 0).changes.isEmpty)
        #expect(mirror.receive(fact(1, connected("b1"), edge: "edge-b"), now: 0).changes.isEmpty)
        #expect(mirror.awaiting.isEmpty)
        let initial = mirror.finishStart()
        #expect(initial.isInitial)
        #expect(initial.changes == [
            .connected(ref("s1"), LifeSocket(sid: "s1", ns: "/", user: ada)),
            .connected(ref("s2"), LifeSocket(sid: "s2", ns: "/")),
            .connected(ref("b1", edge: "edge-b"), LifeSocket(sid: "b1", ns: "/")),
        ])
        #expect(mirror.receive(fact(2, connected("b2"), edge: "edge-b"), now: 0).changes.count == 1)
    }

    @Test func aUserMovingBetweenSocketsNeverHasNone() {
        var mirror = live()
        _ = mirror.heard("edge-a", stream: LifeStamp(epoch: epoch, seq: 9), now: 0)
        let rebuilt = mirror.receive(snapshot(9, [LifeSocket(sid: "s9", ns: "/", user: ada, rooms: ["r"])]), now: 0)
        #expect(rebuilt.changes.map(\.ref.sid) == ["s9", "s9", "s1"], "arrivals before departures")
    }
}
