@testable import Chat
import Contracts
import ServiceKit
import Testing

@Suite("HomeAssistant: who may bring back, grow or shrink a conversation, and whose payload is trusted")
struct HomeRuleTests {
    static let client = Identity(id: "1", name: "john_doe")

    /// The `code` of the `error` emit among `instructions`, if any.
    func errorCode(_ instructions: [Instruction]) -> String? {
        emits(instructions).first { $0.event == "error" }?.args.first?["code"]?.stringValue
    }

    func exists(_ harness: Harness, _ room: String) async throws -> Bool {
        let id = try #require(HomeRoomID(room))
        return try await harness.database.read { try HomeStore.exists($0, id) }
    }

    @Test("a first message starts a private chat of two, never a group: a kicked member cannot bring its group back")
    func firstMessages() async throws {
        let harness = try await homeSeeded(["1:2:3:4"])
        let kick = HomeGroupTests.kick()
        #expect(errorCode(try await harness.send("kickUserFromGroup", [kick], user: Self.client, auth: "jwt")) == nil)
        #expect(try await exists(harness, "1:2:4"))
        let comeback = try await harness.send("message", [HomeChatTests.message("let me back", from: "3", room: "1:2:3:4")],
                                              user: Identity(id: "3"), auth: "jwt")
        #expect(errorCode(comeback) == "NOT_FOUND")
        #expect(emits(comeback).allSatisfy { $0.event == "error" })
        #expect(try await !exists(harness, "1:2:3:4"))
        let fresh = try await harness.send("message", [HomeChatTests.message("hi", from: "3", room: "3:4")],
                                           user: Identity(id: "3"), auth: "jwt")
        #expect(errorCode(fresh) == nil)
        #expect(try await exists(harness, "3:4"))
    }

    @Test("addUserToGroup needs a group; a private chat grows only through createUserGroup")
    func addNeedsAGroup() async throws {
        let harness = try await homeSeeded(["1:2"])
        let out = try await harness.send("addUserToGroup", [HomeGroupTests.growth()], user: Self.client, auth: "jwt")
        #expect(errorCode(out) == "INVALID_PAYLOAD")
        #expect(try await exists(harness, "1:2"))
        #expect(try await !exists(harness, "1:2:3"))
    }

    @Test("kicking from a group of three made from a private chat ends the group; the private chat goes on")
    func kickBackToThePrivateChat() async throws {
        let harness = try await homeSeeded(["1:2"])
        _ = try await harness.send("createUserGroup", [HomeGroupTests.growth()], user: Self.client, auth: "jwt")
        let kick = HomeGroupTests.kick(room: "1:2:3", newRoom: "1:2", kicked: "3")
        let out = try await harness.send("kickUserFromGroup", [kick], user: Self.client, auth: "jwt")
        #expect(errorCode(out) == nil)
        #expect(emits(out).map(\.event) == ["kickUserFromGroupChange", "kickUserFromGroupChangeInRoom"])
        #expect(try await !exists(harness, "1:2:3"))
        #expect(try await exists(harness, "1:2"))
    }

    @Test("an anonymous payload is trusted on none/optional only: not on jwt, session, http or a missing mode")
    func trust() async throws {
        let harness = try await homeSeeded(["1:2"])
        for auth in ["jwt", "session", ""] {
            let out = try await harness.send("chatRoom.join", ["1:2"], auth: auth)
            #expect(errorCode(out) == "FORBIDDEN", "auth \(auth)")
        }
        for auth in ["none", "optional"] {
            let out = try await harness.send("chatRoom.join", ["1:2"], auth: auth)
            #expect(errorCode(out) == nil, "auth \(auth)")
        }
        var header = BusHeader(type: .event, from: "edge-1")
        header.auth = "none"
        for ns in ["http", "zizany:http"] {
            header.ns = ns
            #expect(!Event(header: header, args: []).trustsPayloadIdentity, "\(ns)")
        }
        header.ns = "homeassistant/"
        #expect(Event(header: header, args: []).trustsPayloadIdentity)
        header.ns = "/"
        header.auth = nil
        #expect(!Event(header: header, args: []).trustsPayloadIdentity)
    }
}
