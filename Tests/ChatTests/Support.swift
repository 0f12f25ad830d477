@testable import Chat
import Contracts
import Foundation
import GRDB
import Logging
import ServiceKit
import Synchronization
import Testing

let edgeA = "edge-aaaaaa"
let eventTS: Int64 = 1_770_033_600_000 // 2026-02-02T12:00:00.000Z

/// A chat service on a fresh database, driven through its definition's handlers.
final class Harness: Sendable {
    let directory: String
    let database: DatabasePool
    let definition: ServiceDefinition
    let emitted = Mutex<[Instruction]>([])

    /// Every migration of the chat service (its contracts' and HomeAssistant's).
    static let migrations: @Sendable (inout DatabaseMigrator) -> Void = { ChatStore.migrations(&$0); HomeChat.migrations(&$0) }

    init() throws {
        directory = NSTemporaryDirectory() + "chat-tests-" + UUID().uuidString
        database = try ServiceDatabase.open(directory: directory, service: "chat", migrations: Self.migrations)
        definition = ChatService.definition()
    }

    /// The same file opened again, as after a restart.
    func reopened() throws -> DatabasePool {
        try ServiceDatabase.open(directory: directory, service: "chat", migrations: Self.migrations)
    }

    func context(eventID: String? = MessageID.make()) -> Context {
        Context(logger: Logger(label: "test"), instance: "chat-test", database: database, eventID: eventID) {
            instructions, _, _ in self.emitted.withLock { $0 += instructions }
        }
    }

    /// Sends an event to its handler, as the edge would.
    func send(_ name: String, _ args: [JSON], ns: String = "/", sid: String = "s1", user: Identity? = nil,
              auth: String = "optional", ack: Bool = false, ts: Int64 = eventTS) async throws -> [Instruction] {
        var header = BusHeader(type: .event, from: edgeA, ts: ts)
        header.ns = ns
        header.event = name
        header.sid = sid
        header.edge = edgeA
        header.user = user
        header.ack = ack
        header.auth = auth
        let handler = try #require(definition.handlers[Route(ns: ns, event: name)])
        return try await handler(Event(header: header, args: args), context())
    }

    /// Feeds a life fact as ServiceKit's mirror hands it on: a `disconnected` as a live change, a
    /// `snapshot` as the start's full state of its edge.
    func life(_ kind: LifeFactKind, _ fact: JSON, edge: String = edgeA) async throws -> [Instruction] {
        let update: SocketUpdate
        if kind == .snapshot {
            let sids = Set((fact["sockets"]?.arrayValue ?? []).compactMap { $0["sid"]?.stringValue })
            update = SocketUpdate(changes: [], cause: .start, parts: [fact["edge"]?.stringValue ?? edge: sids])
        } else {
            let sid = fact["sid"]?.stringValue ?? ""
            let socket = LifeSocket(sid: sid, ns: fact["ns"]?.stringValue ?? "/")
            update = SocketUpdate(changes: [.disconnected(SocketRef(edge: edge, sid: sid), socket)])
        }
        let handler = try #require(definition.socketHandler)
        return try await handler(update, context(eventID: nil))
    }

    /// Seeds `document`; returns the ack's answer.
    @discardableResult
    func seed(_ document: JSON) async throws -> JSON {
        let instructions = try await send("seed", [document], ns: "", sid: "seed-1", auth: "none", ack: true)
        guard case .ack(let ack)? = instructions.first else { return .null }
        return ack.args.first ?? .null
    }

    /// Zizany's demo: users 1 (Amir), 2 (Sara), 3 (Omar, not a member); server 1 with channels
    /// 10 and 11; server 2 with channel 20, of which only user 3 is a member.
    func seedZizany() async throws {
        try await seed([
            "users": [["id": 1, "name": "Amir"], ["id": 2, "name": "Sara"], ["id": 3, "name": "Omar"]],
            "servers": [["id": 1, "name": "Guild"], ["id": 2, "name": "Other"]],
            "channels": [["id": 10, "serverId": 1, "name": "general"], ["id": 11, "serverId": 1, "name": "random"],
                         ["id": 20, "serverId": 2, "name": "secret"]],
            "memberships": [["serverId": 1, "userId": 1], ["serverId": 1, "userId": 2], ["serverId": 2, "userId": 3]],
        ])
        emitted.withLock { $0 = [] }
    }
}

/// The session identity of Zizany user `id`.
func zizany(_ id: Int, _ name: String? = nil) -> Identity { Identity(id: String(id), name: name) }

/// The emits among `instructions`.
func emits(_ instructions: [Instruction]) -> [Emit] {
    instructions.compactMap { if case .emit(let emit) = $0 { emit } else { nil } }
}

/// The ack arguments among `instructions`.
func ackArgs(_ instructions: [Instruction]) -> JSON? {
    for case .ack(let ack) in instructions { return ack.args.first }
    return nil
}
