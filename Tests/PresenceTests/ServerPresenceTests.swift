import Contracts
import Presence
import Testing

/// Zizany (seed 001): `presence:update {serverId, onlineUserIds}` to `server:{serverId}` when
/// the server room's online members change.
@Suite struct ServerPresenceTests {
    /// Users 9, 2 and 5 connected (session auth), each with one socket `s<id>`.
    func threeUsers() throws -> PresenceState {
        var state = PresenceState()
        for id in ["9", "2", "5"] { try state.connect("s\(id)", user: id) }
        return state
    }

    @Test func eachNewMemberUpdatesTheRoomWithSortedIds() throws {
        var state = try threeUsers()
        #expect(try state.join("s9", "server:1") == [presenceUpdate(1, [9])])
        #expect(try state.join("s2", "server:1") == [presenceUpdate(1, [2, 9])])
        #expect(try state.join("s5", "server:1") == [presenceUpdate(1, [2, 5, 9])])
        #expect(state.serverOnline("1", in: "/") == ["2", "5", "9"])
    }

    @Test func theUpdateHasTheSeedsExactShape() throws {
        var state = try threeUsers()
        try state.join("s9", "server:1")
        try state.join("s2", "server:1")
        #expect(try wire(try state.join("s5", "server:1"))
            == #"[{"args":[{"onlineUserIds":[2,5,9],"serverId":1}],"event":"presence:update","ns":"/","op":"emit","to":{"rooms":["server:1"]}}]"#)
    }

    @Test func aSecondTabJoiningOnlyTellsItself() throws {
        var state = try threeUsers()
        try state.join("s9", "server:1")
        try state.connect("s9b", user: "9")
        #expect(try state.join("s9b", "server:1") == [presenceUpdate(1, [9], sids: ["s9b"])])
    }

    @Test func oneTabLeavingChangesNothingTheLastOneDoes() throws {
        var state = try threeUsers()
        try state.connect("s9b", user: "9", edge: edgeB)
        try state.join("s9", "server:1")
        try state.join("s2", "server:1")
        try state.join("s9b", "server:1", edge: edgeB)
        #expect(try state.leave("s9", "server:1") == [])
        #expect(try state.leave("s9b", "server:1", edge: edgeB) == [presenceUpdate(1, [2])])
    }

    @Test func aMembersLastSocketDisconnectingUpdatesTheRoom() throws {
        var state = try threeUsers()
        try state.connect("s9b", user: "9")
        for sid in ["s9", "s9b", "s2"] { try state.join(sid, "server:1") }
        #expect(try state.disconnect("s9", rooms: ["server:1"]) == [])
        #expect(try state.disconnect("s9b", rooms: ["server:1"]) == [presenceUpdate(1, [2])])
    }

    @Test func onlyTheMatchingServerRoomIsUpdated() throws {
        var state = try threeUsers()
        try state.join("s9", "server:1")
        try state.join("s2", "server:2")
        #expect(try state.join("s5", "server:2") == [presenceUpdate(2, [2, 5])])
        #expect(try state.leave("s2", "server:2") == [presenceUpdate(2, [5])])
        #expect(state.serverOnline("1", in: "/") == ["9"])
    }

    @Test func aSocketInTwoServersUpdatesBothWhenItGoes() throws {
        var state = try threeUsers()
        for room in ["server:1", "server:2"] {
            try state.join("s9", room)
            try state.join("s2", room)
        }
        #expect(try state.disconnect("s9") == [presenceUpdate(1, [2]), presenceUpdate(2, [2])])
    }

    @Test func otherRoomsAreNotReported() throws {
        var state = try threeUsers()
        #expect(try state.join("s9", "channel:3") == [])
        #expect(try state.join("s9", "user:9") == [])
        #expect(try state.leave("s9", "channel:3") == [])
    }

    @Test func anAnonymousSocketCountsForNobody() throws {
        var state = try threeUsers()
        try state.join("s9", "server:1")
        try state.connect("anon")
        #expect(try state.join("anon", "server:1") == [presenceUpdate(1, [9], sids: ["anon"])])
        #expect(try state.disconnect("anon") == [])
    }

    @Test func theLastMemberLeavingTellsNobody() throws {
        var state = try threeUsers()
        try state.join("s9", "server:1")
        #expect(try state.leave("s9", "server:1") == [])
        #expect(state.serverOnline("1", in: "/").isEmpty)
    }

    @Test func idsSortNumericallyThenAsText() throws {
        var state = PresenceState()
        for id in ["10", "b", "9", "abc", "007"] {
            try state.connect("s-\(id)", user: id)
            try state.join("s-\(id)", "server:x")
        }
        #expect(state.serverOnline("x", in: "/") == ["9", "10", "007", "abc", "b"])
        try state.connect("late", user: "1")
        #expect(try state.join("late", "server:x") == [presenceUpdate("x", [1, 9, 10, "007", "abc", "b"])])
    }

    @Test func namespacesAreSeparate() throws {
        var state = PresenceState()
        try state.connect("a", user: "1", ns: "/zizany")
        try state.connect("b", user: "2")
        try state.join("a", "server:1", ns: "/zizany")
        #expect(try state.join("b", "server:1") == [presenceUpdate(1, [2])])
        #expect(state.serverOnline("1", in: "/zizany") == ["1"])
    }

    @Test func anAnnouncedSocketCountsForItsUser() throws {
        var state = PresenceState()
        try state.connect("s1")
        try state.connect("s2", user: "3")
        try state.join("s1", "server:1")
        try state.join("s2", "server:1")
        let outcome = state.addOnlineUser("8", sid: "s1")
        #expect(outcome.instructions == [
            joinOf(["presence:online:8"], sid: "s1"), newOnlineUser("Add", "8"), presenceUpdate(1, [3, 8]),
        ])
    }

    @Test func aJoinedFactBeforeTheConnectedFactStillCounts() throws {
        var state = PresenceState()
        let joined: JSON = ["sid": "s1", "ns": "/", "room": "server:1", "user": ["id": "4"]]
        #expect(try state.apply(kind: .joined, fact: joined, edge: edgeA) == [presenceUpdate(1, [4])])
        #expect(try state.connect("s1", user: "4") == [])
    }
}
