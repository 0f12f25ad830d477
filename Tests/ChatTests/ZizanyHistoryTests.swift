@testable import Chat
import Contracts
@testable import ServiceKit
import Testing

@Suite("Zizany: message history over HTTP, seeded memberships")
struct ZizanyHistoryTests {
    /// A history request as the edge sends it.
    func history(_ harness: Harness, channel: String, query: JSON = [:], user: Identity?) async throws -> JSON? {
        let request: JSON = ["method": "GET", "path": .string("/api/channels/\(channel)/messages"),
                             "params": ["id": .string(channel)], "query": query, "body": nil]
        let out = try await harness.send(ZizanyChat.historyRoute, [request], ns: "http", sid: "http-1", user: user,
                                         auth: user == nil ? "none" : "session", ack: true)
        return ackArgs(out)
    }

    @Test("pages of the newest messages, oldest first, with before and limit")
    func pages() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        for index in 1...5 {
            _ = try await harness.send("message:create", [["channelId": 10, "content": .string("m\(index)")]],
                                       user: zizany(1), ts: eventTS + Int64(index))
        }
        let newest = try await history(harness, channel: "10", query: ["limit": "2"], user: zizany(2))
        #expect(newest?["status"] == 200)
        #expect(newest?["body"]?["messages"]?.arrayValue?.compactMap { $0["content"]?.stringValue } == ["m4", "m5"])
        #expect(newest?["body"]?["hasMore"] == true)
        let older = try await history(harness, channel: "10", query: ["before": "4", "limit": "10"], user: zizany(2))
        #expect(older?["body"]?["messages"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [1, 2, 3])
        #expect(older?["body"]?["hasMore"] == false)
        let first = try #require(older?["body"]?["messages"]?[0])
        #expect(first == ["id": 1, "channel_id": 10, "content": "m1", "created_at": "2026-02-02T12:00:00.001Z",
                          "updated_at": "2026-02-02T12:00:00.001Z", "user": ["id": 1, "username": "Amir"]])
    }

    @Test("the route is announced on the HTTP namespace of each Zizany namespace, with its failure body")
    func announcedPerApp() {
        let definition = ChatService.definition()
        for ns in ["http", "zizany:http"] {
            #expect(definition.handlers[Route(ns: ns, event: ZizanyChat.historyRoute)] != nil, "\(ns)")
            #expect(definition.failures.contains { $0.ns == ns && $0.event == ZizanyChat.historyRoute && $0.body != nil })
        }
        for ns in ["chatto:http", "homeassistant:http", "zizany/http"] {
            #expect(definition.handlers[Route(ns: ns, event: ZizanyChat.historyRoute)] == nil, "\(ns)")
        }
        let onlyApp = ChatService.definition(.init(zizany: ["zizany/"], chatto: [], home: []))
        #expect(onlyApp.routes.filter { Route.isHTTPNamespace($0.ns) } == [Route(ns: "zizany:http", event: ZizanyChat.historyRoute)])
    }

    @Test("refusals: anonymous 401, bad query 400, missing channel 404, not a member 403")
    func refusals() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        #expect(try await history(harness, channel: "10", user: nil) == ["status": 401, "body": ["code": "E_UNAUTHORIZED"]])
        #expect(try await history(harness, channel: "10", query: ["limit": "0"], user: zizany(1))?["status"] == 400)
        #expect(try await history(harness, channel: "10", query: ["before": "x"], user: zizany(1))?["status"] == 400)
        #expect(try await history(harness, channel: "ten", user: zizany(1))?["status"] == 400)
        #expect(try await history(harness, channel: "404", user: zizany(1)) == ["status": 404, "body": ["code": "E_CHANNEL_NOT_FOUND"]])
        #expect(try await history(harness, channel: "20", user: zizany(1)) == ["status": 403, "body": ["code": "E_FORBIDDEN"]])
    }

    @Test("a seeded membership announces member_joined; a removal makes the sockets leave, then member_left; on each of Zizany's namespaces (/ and its app's zizany/)")
    func membershipChanges() async throws {
        let harness = try Harness()
        try await harness.seedZizany()
        let answer = try await harness.seed(["memberships": [["serverId": 1, "userId": 3]]])
        #expect(answer["ok"] == true)
        let joined = harness.emitted.withLock { $0 }
        #expect(joined == ["/", "zizany/"].map { ns in
            .emit(Emit(ns: ns, event: "server:member_joined", args: [["serverId": 1, "userId": 3, "username": "Omar"]],
                       to: Audience(rooms: ["server:1"])))
        })
        harness.emitted.withLock { $0 = [] }
        try await harness.seed(["memberships": [["serverId": 1, "userId": 3]]])
        #expect(harness.emitted.withLock { $0 }.isEmpty)
        try await harness.seed(["memberships": [["serverId": 1, "userId": 3, "removed": true]]])
        #expect(harness.emitted.withLock { $0 } == ["/", "zizany/"].flatMap { ns -> [Instruction] in [
            .leave(Membership(ns: ns, rooms: ["server:1", "channel:10", "channel:11"], users: ["3"])),
            .emit(Emit(ns: ns, event: "server:member_left", args: [["serverId": 1, "userId": 3, "username": "Omar"]],
                       to: Audience(rooms: ["server:1"]))),
        ] })
    }

    @Test("each contract is served on / and on its own app's namespace only")
    func contractsPerApp() {
        let routes = Set(ChatService.definition().handlers.keys)
        #expect(routes.contains(Route(ns: "zizany/", event: "message:create")))
        #expect(routes.contains(Route(ns: "chatto/", event: "create room")))
        #expect(routes.contains(Route(ns: "homeassistant/", event: "message")))
        #expect(routes.contains(Route(ns: "/", event: "join room")))
        #expect(!routes.contains(Route(ns: "zizany/", event: "join room")))
        #expect(!routes.contains(Route(ns: "chatto/", event: "message:create")))
        #expect(!routes.contains(Route(ns: "homeassistant/", event: "create room")))
        let legacy = Set(ChatService.definition(.init(environment: ["CHAT_NAMESPACES": "/a,/b"])).handlers.keys)
        #expect(legacy.contains(Route(ns: "/b", event: "join room")) && legacy.contains(Route(ns: "/a", event: "message")))
    }

    @Test("a malformed seed is refused whole")
    func malformedSeed() async throws {
        let harness = try Harness()
        let answer = try await harness.seed(["servers": [["id": 1, "name": "A"]],
                                             "channels": [["id": 5, "serverId": 9, "name": "x"]]])
        #expect(answer["ok"] == false)
        #expect(answer["error"] == "channels[0].serverId 9 is not a server")
        let servers = try await harness.database.read { db in try ChatStore.serverExists(db, id: 1) }
        #expect(servers == false)
        #expect(try await harness.seed(["users": [["id": 1]]])["error"] == "users[0].name is missing or not a string")
        #expect(try await harness.seed("nope")["ok"] == false)
    }
}
