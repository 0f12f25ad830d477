@testable import Chat
import Contracts
import GRDB
import Testing

@Suite("Zizany: servers, channels, typing, messages")
struct ZizanyTests {
    @Test("server:join by a member joins server:{id} and answers server:joined to that socket")
    func serverJoin() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let out = try await harness.send("server:join", [["serverId": 1]], user: zizany(1), auth: "session")
        #expect(out == [
            .join(Membership(ns: "/", rooms: ["server:1"], sids: ["s1"])),
            .emit(Emit(ns: "/", event: "server:joined", args: [["serverId": 1]], to: Audience(sids: ["s1"]))),
        ])
    }

    @Test("server:join refusals: not a member, unknown server, anonymous, wrong types → error events")
    func serverJoinRefusals() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let forbidden = Instruction.emit(Emit(ns: "/", event: "error:permission", args: [["code": "E_FORBIDDEN"]],
                                              to: Audience(sids: ["s1"])))
        let invalid = Instruction.emit(Emit(ns: "/", event: "error:validation", args: [["code": "E_VALIDATION"]],
                                            to: Audience(sids: ["s1"])))
        #expect(try await harness.send("server:join", [["serverId": 2]], user: zizany(1)) == [forbidden])
        #expect(try await harness.send("server:join", [["serverId": 99]], user: zizany(1)) == [forbidden])
        #expect(try await harness.send("server:join", [["serverId": 1]]) == [forbidden])
        #expect(try await harness.send("server:join", [["serverId": 1]], user: Identity(id: "amir")) == [forbidden])
        #expect(try await harness.send("server:join", [["serverId": ["x": 1]]], user: zizany(1)) == [invalid])
        #expect(try await harness.send("server:join", ["1"], user: zizany(1)) == [invalid])
        #expect(try await harness.send("server:join", [], user: zizany(1)) == [invalid])
        #expect(try await harness.send("server:join", [["serverId": "1"]], user: zizany(1)).count == 2)
    }

    @Test("acks: success and refusal carry ok and the code")
    func acks() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let ok = try await harness.send("channel:join", [["channelId": 10]], user: zizany(2), ack: true)
        #expect(ackArgs(ok) == ["ok": true, "channelId": 10])
        let refused = try await harness.send("channel:join", [["channelId": 404]], user: zizany(2), ack: true)
        #expect(ackArgs(refused) == ["ok": false, "code": "E_CHANNEL_NOT_FOUND"])
    }

    @Test("channel:join: joined, missing channel, other server's channel")
    func channelJoin() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        #expect(try await harness.send("channel:join", [["channelId": 11]], user: zizany(2)) == [
            .join(Membership(ns: "/", rooms: ["channel:11"], sids: ["s1"])),
            .emit(Emit(ns: "/", event: "channel:joined", args: [["channelId": 11]], to: Audience(sids: ["s1"]))),
        ])
        #expect(emits(try await harness.send("channel:join", [["channelId": 404]], user: zizany(2))) == [
            Emit(ns: "/", event: "error:not_found", args: [["code": "E_CHANNEL_NOT_FOUND"]], to: Audience(sids: ["s1"])),
        ])
        #expect(emits(try await harness.send("channel:join", [["channelId": 20]], user: zizany(2))) == [
            Emit(ns: "/", event: "error:permission", args: [["code": "E_FORBIDDEN"]], to: Audience(sids: ["s1"])),
        ])
    }

    @Test("typing:start / typing:stop → typing:update to the channel without the sender's socket")
    func typing() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let start = try await harness.send("typing:start", [["channelId": 10]], sid: "tab", user: zizany(2, "Sara"))
        #expect(emits(start) == [Emit(ns: "/", event: "typing:update",
                                      args: [["channelId": 10, "userId": 2, "username": "Sara", "isTyping": true]],
                                      to: Audience(rooms: ["channel:10"]), except: Exclusion(sids: ["tab"]))])
        let stop = try await harness.send("typing:stop", [["channelId": 10]], sid: "tab", user: zizany(1))
        #expect(emits(stop).first?.args == [["channelId": 10, "userId": 1, "username": "Amir", "isTyping": false]])
        let outsider = try await harness.send("typing:start", [["channelId": 10]], user: zizany(3))
        #expect(emits(outsider).map(\.event) == ["error:permission"])
    }

    @Test("message:create stores and sends message:new in the seed's exact shape to the channel")
    func messageCreate() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let out = try await harness.send("message:create", [["channelId": 10, "content": "Hello"]],
                                         user: zizany(2, "Sara"))
        let expected: JSON = ["id": 1, "channel_id": 10, "content": "Hello",
                              "created_at": "2026-02-02T12:00:00.000Z", "updated_at": "2026-02-02T12:00:00.000Z",
                              "user": ["id": 2, "username": "Sara"]]
        #expect(emits(out) == [Emit(ns: "/", event: "message:new", args: [expected], to: Audience(rooms: ["channel:10"]))])
        let stored = try await harness.database.read { db in try ChatStore.messages(db, channel: 10, before: nil, limit: 10) }
        #expect(stored.map(\.json) == [expected])
    }

    @Test("message:create refusals in the seed's order: content, channel, membership; nothing stored")
    func messageRefusals() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        func codes(_ args: [JSON], user: Identity? = zizany(1)) async throws -> [String] {
            emits(try await harness.send("message:create", args, user: user)).compactMap { $0.args.first?["code"]?.stringValue }
        }
        #expect(try await codes([["channelId": 404, "content": "  "]]) == ["E_VALIDATION"])
        #expect(try await codes([["channelId": 10, "content": 5]]) == ["E_VALIDATION"])
        #expect(try await codes([["channelId": 10, "content": .string(String(repeating: "x", count: 4001))]]) == ["E_VALIDATION"])
        #expect(try await codes([["channelId": 404, "content": "hi"]]) == ["E_CHANNEL_NOT_FOUND"])
        #expect(try await codes([["channelId": 20, "content": "hi"]]) == ["E_FORBIDDEN"])
        #expect(try await codes([["channelId": 10, "content": "hi"]], user: nil) == ["E_FORBIDDEN"])
        #expect(try await codes([.null]) == ["E_VALIDATION"])
        let count = try await harness.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM zizany_message") }
        #expect(count == 0)
    }
}
