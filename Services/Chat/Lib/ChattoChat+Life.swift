import Contracts
import GRDB
import ServiceKit

extension ChattoChat {
    /// Registers the life facts Chatto needs: a socket that disconnects, every socket of an
    /// edge that went silent, and (after a restart of chat) every socket an edge's snapshot no
    /// longer lists leaves its rooms with `user left room` to the others.
    static func registerLife(_ definition: inout ServiceDefinition) {
        definition.onLife(.disconnected) { event, context in
            guard let sid = event.args.first?["sid"]?.stringValue else {
                context.logger.warning("disconnected fact without sid; ignored")
                return []
            }
            return try await leaveAll(context, edge: edgeID(event), sid: sid)
        }
        definition.onLife(.snapshot) { event, context in
            guard let fact = event.args.first, let sockets = fact["sockets"]?.arrayValue else {
                context.logger.warning("snapshot fact without sockets; ignored")
                return []
            }
            let edge = fact["edge"]?.stringValue ?? edgeID(event)
            return try await leaveGone(context, edge: edge, live: Set(sockets.compactMap { $0["sid"]?.stringValue }))
        }
        definition.onStart = { control in
            // Sockets that disconnected while chat was away: ask the edges for their sockets.
            let deadline = ContinuousClock.now + .milliseconds(1500)
            while control.instances(of: "edge").isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            control.publishEvent("resync", on: Topic.edge)
        }
        definition.onGone("edge") { event, context in
            guard let edge = event.args.first?["instance"]?.stringValue else { return [] }
            return try await leaveAll(context, edge: edge, sid: nil)
        }
    }

    /// Forgets the rooms of socket `sid` of `edge` (every socket of it when `sid` is `nil`)
    /// and tells the rooms.
    static func leaveAll(_ context: Context, edge: String, sid: String?) async throws -> [Instruction] {
        guard let database = context.database else { throw Context.Failure.noDatabase }
        let left = try await database.write { db in try ChatStore.leaveChattoRooms(db, edge: edge, sid: sid) }
        return left.map(leftRoom)
    }

    /// Forgets the rooms of the sockets of `edge` that are not `live` any more, and tells the rooms.
    static func leaveGone(_ context: Context, edge: String, live: Set<String>) async throws -> [Instruction] {
        guard let database = context.database else { throw Context.Failure.noDatabase }
        let left = try await database.write { db in
            let recorded = try String.fetchAll(db, sql: "SELECT DISTINCT sid FROM chatto_presence WHERE edge = ?",
                                               arguments: [edge])
            return try recorded.filter { !live.contains($0) }
                .flatMap { try ChatStore.leaveChattoRooms(db, edge: edge, sid: $0) }
        }
        return left.map(leftRoom)
    }
}
