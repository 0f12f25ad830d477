import Contracts
import GRDB
import ServiceKit

extension HomeChat {
    /// The notification service and the name its group requests are asked under.
    static let notificationService = "notification"

    /// A checked group change: the acting member, the rooms before and after, the user added
    /// or kicked, the notifications to ask for.
    struct GroupChange: Sendable {
        var actor: String
        var room: HomeRoomID
        var newRoom: HomeRoomID?
        var user: String?
        var notifications: [JSON]
    }

    /// Checks what every group event shares: `roomID` is a room id of which the acting user
    /// (`clientID`) is a member (whether the conversation exists is checked in the transaction).
    static func groupBase(_ event: Event, _ payload: JSON) throws(Refusal) -> (actor: String, room: HomeRoomID) {
        guard let room = HomeRoomID(payload["roomID"]) else { throw .invalid("Invalid room ID format") }
        let actor = try actor(event, claimed: payload["clientID"])
        guard room.contains(actor) else { throw .notMember }
        return (actor, room)
    }

    /// `notifications` (or one `notification`): objects sent by the acting user (`from` absent
    /// or equal; set to it) to members of `audience` (or `"room"` where `allowRoom`).
    static func notifications(_ payload: JSON, actor: String, audience: HomeRoomID,
                              allowRoom: Bool = false) throws(Refusal) -> [JSON] {
        let listed: [JSON]
        if let list = payload["notifications"]?.arrayValue {
            listed = list
        } else if let single = payload["notification"], single.objectValue != nil {
            listed = [single]
        } else if payload["notifications"] == nil || payload["notifications"]?.isNull == true {
            listed = []
        } else {
            throw .invalid("notifications must be a list")
        }
        return try listed.map { (note: JSON) throws(Refusal) -> JSON in
            guard var fields = note.objectValue else { throw .invalid("Each notification must be an object") }
            if let from = fields["from"], !from.isNull {
                guard userID(from) == actor else { throw .forbidden("A notification's sender is not the acting user") }
            }
            let to = fields["to"]
            let toRoom = allowRoom && to?.stringValue == "room"
            guard toRoom || userID(to).map(audience.contains) == true else {
                throw .invalid("A notification's recipient is not a member of the group")
            }
            fields["from"] = .string(actor)
            if !toRoom, let id = userID(to) { fields["to"] = .string(id) }
            return .object(fields)
        }
    }

    /// Asks the notification service for `request` with `payload` (plus `ns`), in the caller's
    /// transaction, when there is something to notify.
    static func notify(_ db: Database, _ request: String, _ payload: [String: JSON], notifications: [JSON],
                       ns: String, traceparent: String?) throws {
        guard !notifications.isEmpty else { return }
        var body = payload
        body["notifications"] = .array(notifications)
        body["ns"] = .string(ns)
        try Outbox.enqueue(db, service: notificationService, event: request, args: [.object(body)], traceparent: traceparent)
    }

    /// A `user:{id}` audience for every member of `room`.
    static func members(_ room: HomeRoomID) -> Audience { Audience(rooms: room.members.map(userRoom)) }

    /// Checks `createUserGroup` / `addUserToGroup {data: {newUserID, roomID, newRoomID, clientID, notifications, …}}`:
    /// the new user is not in `roomID`, and `newRoomID` is `roomID` plus the new user, sorted.
    static func growth(_ event: Event) throws(Refusal) -> (payload: JSON, change: GroupChange) {
        let data = try data(event)
        let (actor, room) = try groupBase(event, data)
        guard let newUser = userID(data["newUserID"]) else { throw .invalid("newUserID is not a user id") }
        guard !room.contains(newUser) else { throw .invalid("The new user is already a member") }
        guard let newRoom = HomeRoomID(data["newRoomID"]), HomeRoomID(members: room.members + [newUser]) == newRoom else {
            throw .invalid("newRoomID must be roomID with the new user, sorted")
        }
        let notes = try notifications(data, actor: actor, audience: newRoom)
        return (data, GroupChange(actor: actor, room: room, newRoom: newRoom, user: newUser, notifications: notes))
    }

    /// The room-list update of `createUserGroupChange` / `addUserToGroupChange`. The names are
    /// the server's: the acting user's shown name, the new user's seeded name (the payload's
    /// only for a user chat does not know).
    static func growthChange(_ db: Database, _ event: Event, _ data: JSON, _ change: GroupChange) throws -> JSON {
        var fields: [String: JSON] = [:]
        for key in ["currentMember", "newUserPicturePath", "online"] {
            fields[key] = data[key] ?? .null
        }
        fields["clientUsername"] = .string(try displayName(db, event, user: change.actor, claimed: data["clientUsername"]))
        fields["newUsername"] = try knownName(db, change.user, claimed: data["newUsername"])
        fields["newUserID"] = .string(change.user ?? "")
        fields["roomID"] = .string(change.room.id)
        fields["newRoomID"] = .string(change.newRoom?.id ?? "")
        return .object(fields)
    }

    /// The seeded name of `user`; for a user chat does not know, the payload's name (a string of
    /// at most 100 UTF-16 units), else `null`.
    static func knownName(_ db: Database, _ user: String?, claimed: JSON?) throws -> JSON {
        if let user, let name = try ChatStore.userName(db, id: user) { return .string(name) }
        if let name = claimed?.stringValue, name.utf16.count <= 100 { return .string(name) }
        return .null
    }

    /// `createUserGroup`: a new group conversation `newRoomID` next to the existing `roomID`;
    /// `createUserGroupChange` to every member's `user:{id}`; `createUserToGroupNotify` asked.
    static func createGroup(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (data, change) = try growth(event)
        guard let newRoom = change.newRoom else { return [] }
        let ns = event.route.ns
        let (time, trace) = (event.header.ts, context.traceparent)
        return try await context.write { db in
            guard try HomeStore.exists(db, change.room) else { throw Refusal.notFound }
            guard try HomeStore.create(db, newRoom, at: time) else { throw Refusal.invalid("The group already exists") }
            try notify(db, "createUserToGroupNotify", [:], notifications: change.notifications, ns: ns, traceparent: trace)
            return [.emit(Emit(ns: ns, event: "createUserGroupChange", args: [try growthChange(db, event, data, change)],
                               to: members(newRoom)))]
                + event.acknowledge([["success": true]])
        }
    }

    /// `addUserToGroup`: the conversation `roomID` becomes `newRoomID`; `addUserToGroupChange`
    /// to every member's `user:{id}`, `addUserToGroupChangeInRoom newRoomID` to `room:{roomID}`;
    /// `addUserToGroupNotify` asked.
    static func addToGroup(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (data, change) = try growth(event)
        guard let newRoom = change.newRoom else { return [] }
        let ns = event.route.ns
        let trace = context.traceparent
        guard change.room.members.count >= 3 else {
            throw Refusal.invalid("roomID is a private chat: createUserGroup makes a group of it")
        }
        return try await context.write { db in
            guard try HomeStore.exists(db, change.room) else { throw Refusal.notFound }
            guard try !HomeStore.exists(db, newRoom) else { throw Refusal.invalid("The group already exists") }
            try HomeStore.rename(db, from: change.room, to: newRoom)
            try notify(db, "addUserToGroupNotify", [:], notifications: change.notifications, ns: ns, traceparent: trace)
            return [
                .emit(Emit(ns: ns, event: "addUserToGroupChange", args: [try growthChange(db, event, data, change)],
                           to: members(newRoom))),
                .emit(Emit(ns: ns, event: "addUserToGroupChangeInRoom", args: [.string(newRoom.id)],
                           to: Audience(rooms: [socketRoom(change.room)]))),
            ] + event.acknowledge([["success": true]])
        }
    }

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

    /// `kickUserFromGroup`: the conversation `roomID` becomes `newRoomID` (or, when that
    /// conversation exists already, e.g. the private chat the group came from, ends); the kicked user's
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
            if try HomeStore.exists(db, newRoom) {
                // The remaining members already have that conversation (the private chat a
                // group was created from): the group ends and they go on there.
                try HomeStore.delete(db, change.room)
            } else {
                try HomeStore.rename(db, from: change.room, to: newRoom)
            }
            try notify(db, "kickUserFromGroupNotify", ids, notifications: change.notifications, ns: ns, traceparent: trace)
            var listChange = ids
            listChange["kickedUsername"] = try knownName(db, kicked, claimed: payload["kickedUsername"])
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
