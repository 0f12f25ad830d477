import Contracts
import GRDB
import ServiceKit

extension HomeChat {
    /// Checks `kickUserFromGroup {firstRoomID, roomID, newRoomID, kickedUserID, kickedUsername,
    /// clientID, notifications}`: the kicked user is another member of `roomID`, and
    /// `newRoomID` is `roomID` without them, sorted (still at least two members).
    static func shrink(_ event: Event) throws(Refusal) -> (payload: JSON, change: GroupChange) {
        let payload = try object(event)
        let (actor, room) = try groupBase(event, payload)
        guard let kicked = userID(payload["kickedUserID"]) else { throw .invalid("kickedUserID is not a user id") }
        guard room.contains(kicked) else { throw .invalid("The kicked user is not a member") }
        guard kicked != actor else { throw .invalid("A member cannot kick themselves; delete the room instead") }
        guard let newRoom = HomeRoomID(payload["newRoomID"]),
              HomeRoomID(members: room.members.filter { $0 != kicked }) == newRoom
        else { throw .invalid("newRoomID must be roomID without the kicked user, sorted") }
        if let first = payload["firstRoomID"], !first.isNull, HomeRoomID(first) == nil {
            throw .invalid("firstRoomID is not a room id")
        }
        let notes = try notifications(payload, actor: actor, audience: room)
        return (payload, GroupChange(actor: actor, room: room, newRoom: newRoom, user: kicked, notifications: notes))
    }

    /// `kickUserFromGroup`: the conversation `roomID` becomes `newRoomID`; the kicked user's
    /// sockets leave `room:{roomID}`; `kickUserFromGroupChange` to the remaining members'
    /// `user:{id}`, `kickUserFromGroupChangeInRoom` to `room:{roomID}`;
    /// `kickUserFromGroupNotify` asked.
    static func kickFromGroup(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (payload, change) = try shrink(event)
        guard let newRoom = change.newRoom, let kicked = change.user else { return [] }
        let ns = event.route.ns
        let trace = context.traceparent
        let ids: [String: JSON] = ["roomID": .string(change.room.id), "newRoomID": .string(newRoom.id),
                                   "kickedUserID": .string(kicked)]
        return try await context.write { db in
            guard try HomeStore.exists(db, change.room) else { throw Refusal.notFound }
            guard try !HomeStore.exists(db, newRoom) else { throw Refusal.invalid("The remaining group already exists") }
            try HomeStore.rename(db, from: change.room, to: newRoom)
            try notify(db, "kickUserFromGroupNotify", ids, notifications: change.notifications, ns: ns, traceparent: trace)
            var listChange = ids
            listChange["kickedUsername"] = payload["kickedUsername"] ?? .null
            let inRoom: JSON = ["firstRoomID": payload["firstRoomID"] ?? .null, "kickedUserID": .string(kicked),
                                "newRoomID": .string(newRoom.id)]
            return [
                .leave(Membership(ns: ns, rooms: [socketRoom(change.room)], users: [kicked])),
                .emit(Emit(ns: ns, event: "kickUserFromGroupChange", args: [.object(listChange)], to: members(newRoom))),
                .emit(Emit(ns: ns, event: "kickUserFromGroupChangeInRoom", args: [inRoom],
                           to: Audience(rooms: [socketRoom(change.room)]))),
            ] + event.acknowledge([["success": true]])
        }
    }

    /// `deleteUserRoom {roomID, clientID, notifications}`: a member deletes the conversation
    /// with its messages; `deleteUserRoomChange {roomID}` to every member's `user:{id}`; every
    /// member's sockets leave `room:{roomID}`; `deleteUserRoomNotify` asked (a notification's
    /// `to` may be `"room"`: every member but the sender).
    static func deleteRoom(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let payload = try object(event)
        let (actor, room) = try groupBase(event, payload)
        let notes = try notifications(payload, actor: actor, audience: room, allowRoom: true)
        let ns = event.route.ns
        let trace = context.traceparent
        return try await context.write { db in
            guard try HomeStore.exists(db, room) else { throw Refusal.notFound }
            try HomeStore.delete(db, room)
            try notify(db, "deleteUserRoomNotify", ["roomID": .string(room.id)], notifications: notes, ns: ns,
                       traceparent: trace)
            return [
                .emit(Emit(ns: ns, event: "deleteUserRoomChange", args: [["roomID": .string(room.id)]], to: members(room))),
                .leave(Membership(ns: ns, rooms: [socketRoom(room)], users: room.members)),
            ] + event.acknowledge([["success": true]])
        }
    }
}
