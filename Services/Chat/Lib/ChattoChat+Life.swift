import Contracts
import GRDB
import ServiceKit

extension ChattoChat {
    /// Registers the life facts Chatto needs: a socket that disconnects, or every socket of an
    /// edge that went silent, leaves its rooms with `user left room` to the others.
    static func registerLife(_ definition: inout ServiceDefinition) {
        definition.onLife(.disconnected) { event, context in
            guard let sid = event.args.first?["sid"]?.stringValue else {
                context.logger.warning("disconnected fact without sid; ignored")
                return []
            }
            return try await leaveAll(context, edge: edgeID(event), sid: sid)
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
}
