import Contracts
import Presence
import Testing

/// Restart (silent rebuild from every edge's snapshot) and vanished edges.
@Suite struct RebuildTests {
    /// Edge A: user 1 (announced on `/`, in server 1 and audio room `r1`) and user 2 (server 1);
    /// edge B: a second socket of user 1 (announced, server 1) and anonymous user 77 (announced).
    let snapshots = [
        Snapshot(edge: edgeA, sockets: [
            .init(sid: "a1", ns: "/", user: Identity(id: "1"), rooms: ["presence:online:1", "r1", "server:1"]),
            .init(sid: "a2", ns: "/", user: Identity(id: "2"), rooms: ["server:1"]),
        ]),
        Snapshot(edge: edgeB, sockets: [
            .init(sid: "b1", ns: "/", user: Identity(id: "1"), rooms: ["presence:online:1", "server:1"]),
            .init(sid: "b2", ns: "/", rooms: ["presence:online:77"]),
        ]),
    ]

    @Test func rebuildingRestoresTheTruth() {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        #expect(state.onlineUsers == ["1", "2", "77"])
        #expect(state.announcedUsers(in: "/") == ["1", "77"])
        #expect(state.serverOnline("1", in: "/") == ["1", "2"])
        #expect(state.currentRoom(of: "1", in: "/") == "r1")
        #expect(state.sockets(of: "1") == [SocketKey(edge: edgeA, sid: "a1"), SocketKey(edge: edgeB, sid: "b1")])
    }

    @Test func afterARebuildOnlyRealChangesEmit() throws {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        #expect(try state.disconnect("a1", rooms: ["presence:online:1", "r1", "server:1"]) == [])
        try state.connect("b3", user: "2", edge: edgeB)
        #expect(try state.join("b3", "server:1", edge: edgeB) == [presenceUpdate(1, [1, 2], sids: ["b3"])])
        #expect(try state.disconnect("b1", edge: edgeB) == [newOnlineUser("Remove", "1"), presenceUpdate(1, [2])])
        #expect(try state.disconnect("b2", edge: edgeB) == [newOnlineUser("Remove", "77")])
    }

    @Test func anAnnouncementAfterARebuildIsNotRepeated() {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        let outcome = state.addOnlineUser("77", sid: "b2", edge: edgeB)
        #expect(outcome.instructions == [joinOf(["presence:online:77"], sid: "b2")])
    }

    @Test func snapshotFactsDecodeAsTheEdgeWritesThem() throws {
        let fact: JSON = ["edge": .string(edgeA), "sockets": [
            ["sid": "a1", "ns": "/", "user": ["id": "1", "role": "USER"], "rooms": ["r1", "server:1"]],
            ["sid": "a2", "ns": "/", "rooms": []],
        ]]
        var header = BusHeader(type: .life, from: "edge-header")
        header.event = "snapshot"
        var object = fact.objectValue ?? [:]
        (object["epoch"], object["seq"]) = (1, 0)
        let decoded = try LifeRecord(header: header, body: [.object(object)])
        #expect(decoded.fact == .snapshot([
            .init(sid: "a1", ns: "/", user: Identity(id: "1", role: "USER"), rooms: ["r1", "server:1"]),
            .init(sid: "a2", ns: "/"),
        ]))
        #expect(throws: LifeRecord.Malformed(member: "sockets")) {
            try LifeRecord(header: header, body: [["edge": "x", "epoch": 1, "seq": 0]])
        }
    }

    @Test func aSnapshotOfAKnownEdgeEmitsOnlyTheDifference() throws {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        #expect(state.applySnapshot(snapshots[0]) == [])
        let shrunk = Snapshot(edge: edgeA, sockets: [snapshots[0].sockets[0]])
        #expect(state.applySnapshot(shrunk) == [presenceUpdate(1, [1])])
        #expect(state.applySnapshot(shrunk) == [])
    }

    @Test func edgeGoneEmitsForWhatChangedOnce() {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        #expect(state.edgeGone(edgeB) == [newOnlineUser("Remove", "77")])
        #expect(state.edgeGone(edgeB) == [])
        #expect(state.edgeGone(edgeA) == [newOnlineUser("Remove", "1")])
        #expect(state.onlineUsers.isEmpty)
        #expect(state.socketCount == 0)
    }

    @Test func edgeGoneUpdatesServerRoomsThatLostMembers() throws {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        try state.connect("c1", user: "3", edge: "edge-cccccc")
        try state.join("c1", "server:1", edge: "edge-cccccc")
        #expect(state.edgeGone(edgeA) == [presenceUpdate(1, [1, 3])])
        #expect(state.edgeGone(edgeB) == [newOnlineUser("Remove", "1"), newOnlineUser("Remove", "77"),
                                          presenceUpdate(1, [3])])
    }

    @Test func anEdgeThatComesBackBringsItsUsersBack() {
        var state = PresenceState()
        state.rebuild(from: snapshots)
        _ = state.edgeGone(edgeB)
        #expect(state.applySnapshot(snapshots[1]) == [newOnlineUser("Add", "77")])
        _ = state.edgeGone(edgeA)
        #expect(state.applySnapshot(snapshots[0]) == [presenceUpdate(1, [1, 2])])
    }
}
