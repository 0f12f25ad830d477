import Testing
@testable import SocketIO

@Suite struct RoomIndexTests {
    /// s1 (alice) in a, b; s2 (alice) in b; s3 (bob) in c; s4 in no room.
    func index() -> RoomIndex {
        var index = RoomIndex()
        index.add("s1", user: "alice")
        index.add("s2", user: "alice")
        index.add("s3", user: "bob")
        index.add("s4")
        index.join("s1", room: "a")
        index.join("s1", room: "b")
        index.join("s2", room: "b")
        index.join("s3", room: "c")
        return index
    }

    @Test func joinLeaveAndLeaveAll() {
        var index = index()
        #expect(index.sids(inRoom: "b") == ["s1", "s2"])
        #expect(index.rooms(of: "s1") == ["a", "b"])
        index.leave("s1", room: "b")
        #expect(index.sids(inRoom: "b") == ["s2"])
        index.leaveAll("s1")
        #expect(index.rooms(of: "s1").isEmpty)
        #expect(index.sids(inRoom: "a").isEmpty)
        #expect(index.members.contains("s1"))
    }

    @Test func removeForgetsRoomsAndUser() {
        var index = index()
        index.remove("s1")
        #expect(!index.members.contains("s1"))
        #expect(index.sids(ofUser: "alice") == ["s2"])
        #expect(index.user(of: "s1") == nil)
        #expect(index.sids(inRoom: "b") == ["s2"])
    }

    @Test func audiences() {
        let index = index()
        #expect(index.resolve(Audience(everyone: true)) == ["s1", "s2", "s3", "s4"])
        #expect(index.resolve(Audience(rooms: ["a", "c"])) == ["s1", "s3"])
        #expect(index.resolve(Audience(sids: ["s4", "ghost"])) == ["s4"])
        #expect(index.resolve(Audience(users: ["alice"])) == ["s1", "s2"])
        #expect(index.resolve(Audience(rooms: ["c"], sids: ["s4"], users: ["alice"])) == ["s1", "s2", "s3", "s4"])
        #expect(index.resolve(Audience(everyone: true, exceptRooms: ["b"])) == ["s3", "s4"])
        #expect(index.resolve(Audience(users: ["alice"], exceptSids: ["s2"])) == ["s1"])
        #expect(index.resolve(Audience(rooms: ["b"], exceptRooms: ["a"], exceptSids: ["s3"])) == ["s2"])
        #expect(index.resolve(Audience()).isEmpty)
    }
}
