import Contracts
import GRDB
import ServiceKit

/// A HomeAssistant room id (seed 003, "Room Naming Convention"): the members' numeric ids,
/// sorted ascending, distinct, at least two, joined by `:` (`1:2:5`); a `room:` prefix is
/// accepted and dropped.
struct HomeRoomID: Hashable, Sendable {
    /// The most members a room id may name.
    static let maxMembers = 100

    /// The members' ids, ascending.
    let members: [String]

    /// `1:2:5`.
    var id: String { members.joined(separator: ":") }

    /// Parses a room id given as JSON text; `nil` for anything that is not one.
    init?(_ value: JSON?) {
        guard let text = value?.stringValue else { return nil }
        self.init(text)
    }

    /// Parses `1:2` or `room:1:2`; `nil` unless the ids are canonical numbers, ascending, distinct, ≥ 2.
    init?(_ text: String) {
        let bare = text.hasPrefix("room:") ? String(text.dropFirst(5)) : text
        let parts = bare.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.count <= Self.maxMembers, parts.allSatisfy(Self.isCanonicalNumber) else { return nil }
        let numbers = parts.compactMap { UInt64($0) }
        guard numbers.count == parts.count, zip(numbers, numbers.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        members = parts
    }

    /// The room id of `members` (any order); `nil` unless they are distinct canonical numbers, ≥ 2.
    init?(members: [String]) {
        let sorted = members.sorted { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }
        self.init(sorted.joined(separator: ":"))
    }

    /// `true` for the decimal text of a whole number without leading zeros (`0`, `42`), within 64 bits.
    static func isCanonicalNumber(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), UInt64(text) != nil else {
            return false
        }
        return first != 48 || text.utf8.count == 1
    }

    /// `true` when `user` is one of the members.
    func contains(_ user: String) -> Bool { members.contains(user) }
}

extension HomeChat {
    /// The room id argument of `chatRoom.join` / `chatRoom.leave`: `"1:2"`.
    static func roomArgument(_ event: Event) throws(Refusal) -> HomeRoomID {
        guard let room = HomeRoomID(event.args.first) else { throw .invalid("Invalid room ID format") }
        return room
    }

    /// Who may be in `room`: a socket with an identity only when it is a member; an anonymous
    /// socket is refused where the namespace authenticates, and trusted elsewhere.
    static func checkMember(_ event: Event, _ room: HomeRoomID) throws(Refusal) {
        if let identity = event.user?.id {
            guard room.contains(identity) else { throw .notMember }
        } else if event.header.auth == "jwt" || event.header.auth == "session" {
            throw .forbidden("Authentication required")
        }
    }

    /// `chatRoom.join "1:2"`: a member joins `room:1:2` of an existing conversation; the
    /// member's unread count there is cleared (the conversation is open).
    static func join(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let room = try roomArgument(event)
        try checkMember(event, room)
        guard let sid = event.sid else { throw Refusal.invalid("No socket") }
        let user = event.user?.id
        return try await context.write { db in
            guard try HomeStore.exists(db, room) else { throw Refusal.notFound }
            if let user { try HomeStore.markRead(db, room: room, user: user) }
            return [.join(Membership(ns: event.route.ns, rooms: [socketRoom(room)], sids: [sid]))]
                + event.acknowledge([["success": true]])
        }
    }

    /// `chatRoom.leave "1:2"`: the socket leaves `room:1:2` (always allowed for a valid id).
    static func leave(_ event: Event) throws -> [Instruction] {
        let room = try roomArgument(event)
        guard let sid = event.sid else { throw Refusal.invalid("No socket") }
        return [.leave(Membership(ns: event.route.ns, rooms: [socketRoom(room)], sids: [sid]))]
            + event.acknowledge([["success": true]])
    }

    /// `startTypingRoom` / `stopTypingRoom {roomID, user: {userID, username}}` →
    /// `typingMessageStart` / `typingMessageStop {senderID, senderUsername, roomID}` to the room,
    /// except the sending socket; only a member of the room id may type in it.
    static func typing(_ event: Event, start: Bool) throws -> [Instruction] {
        let payload = try object(event)
        guard let room = HomeRoomID(payload["roomID"]) else { throw Refusal.invalid("Invalid room ID format") }
        guard let user = payload["user"], user.objectValue != nil else { throw Refusal.invalid("user must be {userID, username}") }
        let sender = try actor(event, claimed: user["userID"])
        guard room.contains(sender) else { throw Refusal.notMember }
        let name = event.user?.name ?? user["username"]?.stringValue ?? sender
        guard let sid = event.sid else { throw Refusal.invalid("No socket") }
        let args: JSON = ["senderID": .string(sender), "senderUsername": .string(name), "roomID": .string(room.id)]
        return [.emit(Emit(ns: event.route.ns, event: start ? "typingMessageStart" : "typingMessageStop", args: [args],
                           to: Audience(rooms: [socketRoom(room)]), except: Exclusion(sids: [sid])))]
            + event.acknowledge([["success": true]])
    }
}
