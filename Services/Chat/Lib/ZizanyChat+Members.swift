import Contracts
import GRDB
import ServiceKit

extension ZizanyChat {
    /// Applies a seeded membership change and returns what it announces on every namespace:
    /// `server:member_joined {serverId, userId, username}` to `server:{id}` for a new member;
    /// for a removed one, its sockets leave `server:{id}` and the server's channel rooms (so
    /// they hear nothing more of it), then `server:member_left` to `server:{id}`. A change
    /// that changes nothing announces nothing.
    static func membershipChanged(_ db: Database, _ change: ChatSeed.MembershipChange, namespaces: [String]) throws
        -> [Instruction]
    {
        let changed = change.removed
            ? try ChatStore.removeMember(db, server: change.server, user: change.user)
            : try ChatStore.addMember(db, server: change.server, user: change.user)
        guard changed else { return [] }
        let username = try ChatStore.userName(db, id: String(change.user)) ?? "user \(change.user)"
        let serverRoom = "server:\(change.server)"
        let payload: JSON = ["serverId": .int(change.server), "userId": .int(change.user), "username": .string(username)]
        let channelRooms = try ChatStore.channels(db, server: change.server).map { "channel:\($0)" }
        var instructions: [Instruction] = []
        for ns in namespaces {
            if change.removed {
                instructions.append(.leave(Membership(ns: ns, rooms: [serverRoom] + channelRooms,
                                                      users: [String(change.user)])))
            }
            instructions.append(.emit(Emit(ns: ns, event: change.removed ? "server:member_left" : "server:member_joined",
                                           args: [payload], to: Audience(rooms: [serverRoom]))))
        }
        return instructions
    }
}
