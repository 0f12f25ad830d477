import Contracts
import Foundation
import GRDB
import ServiceKit

/// HomeAssistant (seed 003): conversations in rooms `room:{ids}` (`chatRoom.join` /
/// `chatRoom.leave`), `message`, typing, and the group events (`createUserGroup`,
/// `addUserToGroup`, `kickUserFromGroup`, `deleteUserRoom`), whose notifications the
/// notification service stores and delivers, asked through the ``Outbox``. See docs/chat.md.
enum HomeChat {
    /// Why an event is refused: the `code` of HomeAssistant's error format and a sentence.
    struct Refusal: Error, Equatable {
        /// `INVALID_PAYLOAD`, `FORBIDDEN` or `NOT_FOUND`.
        var code: String
        /// What the client's `error` says.
        var message: String

        static func invalid(_ message: String) -> Refusal { Refusal(code: "INVALID_PAYLOAD", message: message) }
        static func forbidden(_ message: String) -> Refusal { Refusal(code: "FORBIDDEN", message: message) }
        static let notFound = Refusal(code: "NOT_FOUND", message: "No such conversation")
        static let notMember = Refusal.forbidden("You are not a member of this conversation")
    }

    /// The longest message, in UTF-16 code units.
    static let maxMessageLength = 5000

    /// The Socket.IO room of conversation `room`.
    static func socketRoom(_ room: HomeRoomID) -> String { "room:\(room.id)" }

    /// The Socket.IO room of user `id` (joined by presence's `joinRoom`).
    static func userRoom(_ id: String) -> String { "user:\(id)" }

    /// HomeAssistant's migrations (`chat.home.N`), after ``ChatStore``'s.
    static func migrations(_ migrator: inout DatabaseMigrator) {
        HomeStore.migrations(&migrator)
    }

    /// Registers HomeAssistant's chat events on `ns`.
    static func register(_ definition: inout ServiceDefinition, ns: String) {
        let handlers: [(String, Handler)] = [
            ("chatRoom.join", { try await join($0, $1) }),
            ("chatRoom.leave", { event, _ in try leave(event) }),
            ("message", { try await message($0, $1) }),
            ("startTypingRoom", { event, _ in try typing(event, start: true) }),
            ("stopTypingRoom", { event, _ in try typing(event, start: false) }),
            ("createUserGroup", { try await createGroup($0, $1) }),
            ("addUserToGroup", { try await addToGroup($0, $1) }),
            ("kickUserFromGroup", { try await kickFromGroup($0, $1) }),
            ("deleteUserRoom", { try await deleteRoom($0, $1) }),
        ]
        // These write nothing: their replies are remembered in memory only.
        let pure: Set<String> = ["chatRoom.leave", "startTypingRoom", "stopTypingRoom"]
        for (name, handler) in handlers {
            definition.on(ns, name, pure: pure.contains(name)) { event, context in
                do {
                    return try await handler(event, context)
                } catch let refusal as Refusal {
                    context.logger.notice("refused \(event.route): \(refusal.code) \(refusal.message)",
                                          metadata: ["sid": "\(event.sid ?? "-")"])
                    return refuse(event, refusal)
                }
            }
        }
    }

    /// A refusal: HomeAssistant's `error` emit `{error, code, timestamp}` to the sender, and
    /// `{success: false, error: code}` as the ack when one was asked for.
    static func refuse(_ event: Event, _ refusal: Refusal) -> [Instruction] {
        var instructions: [Instruction] = []
        if let sid = event.sid {
            let payload: JSON = ["error": .string(refusal.message), "code": .string(refusal.code),
                                 "timestamp": .string(Timestamp.iso8601(event.header.ts))]
            instructions.append(.emit(Emit(ns: event.route.ns, event: "error", args: [payload], to: Audience(sids: [sid]))))
        }
        return instructions + event.acknowledge([["success": false, "error": .string(refusal.code)]])
    }

    /// The acting user: the identity's id, which a payload id (`claimed`) must equal; an
    /// anonymous socket is refused where the namespace authenticates (`jwt`, `session`) and
    /// trusted (its payload id, required) elsewhere. `nil` `claimed` with an identity is fine.
    static func actor(_ event: Event, claimed: JSON?) throws(Refusal) -> String {
        let named = userID(claimed)
        if claimed != nil, !(claimed?.isNull ?? true), named == nil { throw .invalid("The user id is not an id") }
        if let identity = event.user?.id {
            if let named, named != identity { throw .forbidden("The payload's user is not the authenticated user") }
            return identity
        }
        if !event.trustsPayloadIdentity { throw .forbidden("Authentication required") }
        guard let named else { throw .invalid("The user id is missing") }
        return named
    }

    /// A user id: canonical decimal text, or a whole number (taken as its text).
    static func userID(_ value: JSON?) -> String? {
        switch value {
        case .string(let text): HomeRoomID.isCanonicalNumber(text) ? text : nil
        case .int(let number) where number >= 0: String(number)
        default: nil
        }
    }

    /// The event's first argument's `data` object (`message`, `createUserGroup`, `addUserToGroup`).
    static func data(_ event: Event) throws(Refusal) -> JSON {
        guard let data = event.args.first?["data"], data.objectValue != nil else {
            throw .invalid("The payload must be {data: {...}}")
        }
        return data
    }

    /// The event's first argument, an object (`kickUserFromGroup`, `deleteUserRoom`, typing).
    static func object(_ event: Event) throws(Refusal) -> JSON {
        guard let payload = event.args.first, payload.objectValue != nil else { throw .invalid("The payload must be an object") }
        return payload
    }

    /// The shown name of `user`: the identity's name for the identity, else the payload's
    /// (trusted only where the payload is), else the seeded name, else the id.
    static func displayName(_ db: Database, _ event: Event, user: String, claimed: JSON?) throws -> String {
        if let identity = event.user, identity.id == user, let name = identity.name, !name.isEmpty { return name }
        if event.user == nil, let name = claimed?.stringValue, !name.isEmpty, name.utf16.count <= 100 { return name }
        return try ChatStore.userName(db, id: user) ?? user
    }

    /// `{day, month, year, time: "HH:mm"}` in UTC for `milliseconds` since the epoch.
    static func date(_ milliseconds: Int64) -> JSON {
        let parts = Timestamp.parts(milliseconds)
        return ["day": .int(Int64(parts.day)), "month": .int(Int64(parts.month)), "year": .int(Int64(parts.year)),
                "time": .string(String(format: "%02d:%02d", parts.hour, parts.minute))]
    }
}

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
