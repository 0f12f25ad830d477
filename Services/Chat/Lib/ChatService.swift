import Contracts
import GRDB
import ServiceKit
import Synchronization

/// The chat service on the bus (see `docs/chat.md`): Zizany servers and channels, Chatto rooms
/// and HomeAssistant conversations, stored in `<SWITCHBOARD_DATA>/chat.sqlite`.
public enum ChatService {
    /// How the service is set up: the namespaces whose client events chat answers, per contract.
    /// A namespace is a client's namespace of the edge's unnamed app (`/`) or of a named one
    /// (`zizany/`, docs/edge.md "Apps"): announcing a contract's events there is how chat says it
    /// serves that app.
    public struct Configuration: Sendable, Equatable {
        /// Zizany's namespaces. Default `["/", "zizany/"]`.
        public var zizany: [String]
        /// Chatto's namespaces. Default `["/", "chatto/"]`.
        public var chatto: [String]
        /// HomeAssistant's namespaces. Default `["/", "homeassistant/"]`.
        public var home: [String]

        /// Each contract on `/` and on its own app (`zizany/`, `chatto/`, `homeassistant/`).
        public init() {
            self.init(zizany: ["/", "zizany/"], chatto: ["/", "chatto/"], home: ["/", "homeassistant/"])
        }

        /// The given namespaces per contract.
        public init(zizany: [String], chatto: [String], home: [String]) {
            self.zizany = zizany
            self.chatto = chatto
            self.home = home
        }

        /// Every contract on each of `namespaces`.
        public init(namespaces: [String]) {
            self.init(zizany: namespaces, chatto: namespaces, home: namespaces)
        }

        /// `CHAT_NAMESPACES` (comma-separated) from `environment` puts every contract on each of
        /// them; without it, the defaults of ``init()``.
        public init(environment: [String: String]) {
            let listed = environment["CHAT_NAMESPACES"]?.split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let listed, !listed.isEmpty { self.init(namespaces: listed) } else { self.init() }
        }
    }

    /// The seed request: namespace `""`, one argument, the whole document (docs/seed.md).
    public static let seedRoute = Route(ns: "", event: "seed")

    /// The definition: each contract's events on its namespaces, the history route, the seed.
    public static func definition(_ configuration: Configuration = Configuration()) -> ServiceDefinition {
        var definition = ServiceDefinition(name: "chat")
        definition.migrations = { ChatStore.migrations(&$0); HomeChat.migrations(&$0) }
        for ns in configuration.zizany { ZizanyChat.register(&definition, ns: ns) }
        for ns in configuration.chatto { ChattoChat.register(&definition, ns: ns) }
        for ns in configuration.home { HomeChat.register(&definition, ns: ns) }
        for ns in Set(configuration.zizany.map(Route.httpNamespace(of:))) {
            ZizanyChat.registerHistory(&definition, ns: ns)
        }
        ChatFailures.declare(in: &definition, configuration)
        ChattoChat.registerSockets(&definition)
        definition.on(seedRoute.ns, seedRoute.event) { event, context in
            try await seed(event, context, namespaces: configuration.zizany)
        }
        return definition
    }

    /// `seed {document}`: upserts every member chat knows in one transaction, answers
    /// `{ok, service, …counts}` (or `{ok: false, service, error}` refusing the whole document), and
    /// announces membership changes (`server:member_joined` / `server:member_left` to
    /// `server:{id}`; a removed member's sockets leave the server's rooms).
    static func seed(_ event: Event, _ context: Context, namespaces: [String]) async throws -> [Instruction] {
        do {
            let parsed = try ChatSeed(document: event.args.first ?? .null, now: event.header.ts)
            let outcome = try await applySeed(parsed, event, context, namespaces: namespaces)
            if !outcome.emits.isEmpty { context.emit(outcome.emits) }
            return outcome.reply
        } catch let invalid as ChatSeed.Invalid {
            context.logger.warning("seed refused: \(invalid.description)")
            return event.acknowledge([["ok": false, "service": "chat", "error": .string(invalid.description)]])
        }
    }

    /// Stores `seed` with the reply; returns the reply and the emits to publish once committed.
    static func applySeed(_ seed: ChatSeed, _ event: Event, _ context: Context, namespaces: [String]) async throws
        -> (reply: [Instruction], emits: [Instruction])
    {
        let emitted = Mutex<[Instruction]>([])
        let reply = try await context.write { db in
            for user in seed.users { try ChatStore.upsertUser(db, id: user.id, name: user.name) }
            for server in seed.servers {
                try db.execute(sql: "INSERT INTO zizany_server (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name",
                               arguments: [server.id, server.name])
            }
            for (index, channel) in seed.channels.enumerated() {
                guard try ChatStore.serverExists(db, id: channel.server) else {
                    throw ChatSeed.Invalid(description: "channels[\(index)].serverId \(channel.server) is not a server")
                }
                try db.execute(sql: """
                    INSERT INTO zizany_channel (id, server_id, name) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, name = excluded.name
                    """, arguments: [channel.id, channel.server, channel.name])
            }
            var emits: [Instruction] = []
            for (index, change) in seed.memberships.enumerated() {
                guard try ChatStore.serverExists(db, id: change.server) else {
                    throw ChatSeed.Invalid(description: "memberships[\(index)].serverId \(change.server) is not a server")
                }
                emits += try ZizanyChat.membershipChanged(db, change, namespaces: namespaces)
            }
            for room in seed.chatRooms { try ChatStore.upsertChattoRoom(db, room) }
            for room in seed.conversations { try HomeStore.create(db, room, at: event.header.ts) }
            emitted.withLock { $0 = emits }
            var answer = seed.counts
            answer["ok"] = true
            answer["service"] = "chat"
            return event.acknowledge([.object(answer)])
        }
        return (reply, emitted.withLock { $0 })
    }
}
