import Contracts
import Testing
@testable import Presence

/// The sockets of each edge are indexed, so that a snapshot or a vanished edge touches only
/// that edge's sockets instead of looking at every socket.
@Suite struct EdgeIndexTests {
    /// Whether the index holds exactly the known sockets, by edge.
    func indexHolds(_ state: PresenceState) -> Bool {
        Dictionary(grouping: state.sockets.keys, by: \.edge).mapValues { Set($0) } == state.socketsByEdge
    }

    /// Users 0–49 announced on edge A, users 40–59 on edge B.
    func twoEdges() throws -> PresenceState {
        var state = PresenceState()
        for (edge, users) in [(edgeA, 0..<50), (edgeB, 40..<60)] {
            for user in users {
                _ = try state.connect("s\(user)", edge: edge)
                _ = state.addOnlineUser(.string("\(user)"), sid: "s\(user)", edge: edge)
            }
        }
        return state
    }

    @Test func aVanishedEdgeTakesOnlyItsOwnSockets() throws {
        var state = try twoEdges()
        #expect(indexHolds(state))
        let gone = state.edgeGone(edgeA)
        #expect(gone == (0..<40).map { "\($0)" }.sorted().map { newOnlineUser("Remove", $0) })
        #expect(state.socketsByEdge[edgeA] == nil && state.socketCount == 20)
        #expect(indexHolds(state))
        #expect(state.edgeGone(edgeA) == [])
    }

    @Test func disconnectsAndSnapshotsKeepTheIndex() throws {
        var state = try twoEdges()
        _ = try state.disconnect("s45", edge: edgeB, rooms: ["presence:online:45"])
        #expect(state.socketsByEdge[edgeB]?.count == 19)
        #expect(indexHolds(state))
        let kept = Snapshot.Socket(sid: "s50", ns: "/", user: nil, rooms: ["presence:online:50"])
        let changes = state.applySnapshot(Snapshot(edge: edgeB, sockets: [kept]))
        #expect(changes == (51..<60).map { "\($0)" }.map { newOnlineUser("Remove", $0) })
        #expect(state.socketsByEdge[edgeB] == [SocketKey(edge: edgeB, sid: "s50")])
        #expect(indexHolds(state))
        _ = state.edgeGone(edgeA)
        _ = state.edgeGone(edgeB)
        #expect(state.socketsByEdge.isEmpty && indexHolds(state))
    }
}
