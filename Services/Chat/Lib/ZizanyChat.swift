import Contracts
import GRDB
import ServiceKit

/// Zizany (seed 001): `server:join`, `channel:join`, `typing:start` / `typing:stop` and
/// `message:create` on a socket namespace. Identity is the session's user (the header's
/// `user`, a numeric id); refusals are the contract's `error:*` events to the sending socket.
enum ZizanyChat {
    /// A refusal, sent as `event {code}` to the sender (and as the ack when one was asked).
    enum Failure: Error, Equatable {
        /// `error:not_found {code: "E_CHANNEL_NOT_FOUND"}`.
        case channelNotFound
        /// `error:permission {code: "E_FORBIDDEN"}`: no identity, or not a member.
        case forbidden
        /// `error:validation {code: "E_VALIDATION"}` (ours): a missing or wrongly typed field,
        /// empty content.
        case invalid

        /// The error event's name.
        var event: String {
            switch self {
            case .channelNotFound: "error:not_found"
            case .forbidden: "error:permission"
            case .invalid: "error:validation"
            }
        }

        /// The error code.
        var code: String {
            switch self {
            case .channelNotFound: "E_CHANNEL_NOT_FOUND"
            case .forbidden: "E_FORBIDDEN"
            case .invalid: "E_VALIDATION"
            }
        }
    }

    /// The longest message content accepted, in UTF-16 code units (as a JavaScript client counts).
    static let maxContentLength = 4000

    /// Zizany's success acknowledgement, `{ok: true}`: the runtime gives it to an event that
    /// asked for one whenever a handler answers none.
    static let okAck: [JSON] = [["ok": true]]

    /// Registers the Zizany events on `ns`.
    static func register(_ definition: inout ServiceDefinition, ns: String) {
        definition.on(ns, "server:join", ack: okAck) { event, context in
            try await answer(event, context) { try await serverJoin(event, context) }
        }
        definition.on(ns, "channel:join", ack: okAck) { event, context in
            try await answer(event, context) { try await channelJoin(event, context) }
        }
        definition.on(ns, "typing:start", pure: true, ack: okAck) { event, context in
            try await answer(event, context) { try await typing(event, context, isTyping: true) }
        }
        definition.on(ns, "typing:stop", pure: true, ack: okAck) { event, context in
            try await answer(event, context) { try await typing(event, context, isTyping: false) }
        }
        definition.on(ns, "message:create", ack: okAck) { event, context in
            try await answer(event, context) { try await messageCreate(event, context) }
        }
    }

    /// Runs `body`; a ``Failure`` is logged once and becomes its error event to the sender (and
    /// the ack when one was asked).
    static func answer(_ event: Event, _ context: Context, _ body: () async throws -> [Instruction]) async throws
        -> [Instruction]
    {
        do {
            return try await body()
        } catch let failure as Failure {
            context.logger.notice("refused \(event.route): \(failure.code)", metadata: ["sid": "\(event.sid ?? "-")"])
            var instructions: [Instruction] = []
            if let sid = event.sid {
                instructions.append(.emit(Emit(ns: event.route.ns, event: failure.event,
                                               args: [["code": .string(failure.code)]], to: Audience(sids: [sid]))))
            }
            return instructions + event.acknowledge([["ok": false, "code": .string(failure.code)]])
        }
    }

    /// `server:join {serverId}`: a member joins `server:{id}` and gets `server:joined`.
    static func serverJoin(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let user = try member(event)
        let server = try id(event.args.first?["serverId"])
        let allowed = try await context.read { db in try ChatStore.isMember(db, server: server, user: user.id) }
        guard allowed, let sid = event.sid else { throw Failure.forbidden }
        let ns = event.route.ns
        return [.join(Membership(ns: ns, rooms: ["server:\(server)"], sids: [sid])),
                .emit(Emit(ns: ns, event: "server:joined", args: [["serverId": .int(server)]], to: Audience(sids: [sid])))]
            + event.acknowledge([["ok": true, "serverId": .int(server)]])
    }

    /// `channel:join {channelId}`: a member of the channel's server joins `channel:{id}`.
    static func channelJoin(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let user = try member(event)
        let channelID = try id(event.args.first?["channelId"])
        let sid = try socket(event)
        try await context.read { db in try checkChannel(db, channelID, user: user.id) }
        let ns = event.route.ns
        return [.join(Membership(ns: ns, rooms: ["channel:\(channelID)"], sids: [sid])),
                .emit(Emit(ns: ns, event: "channel:joined", args: [["channelId": .int(channelID)]],
                           to: Audience(sids: [sid])))]
            + event.acknowledge([["ok": true, "channelId": .int(channelID)]])
    }

    /// `typing:start` / `typing:stop {channelId}` → `typing:update` to the channel, sender excluded.
    static func typing(_ event: Event, _ context: Context, isTyping: Bool) async throws -> [Instruction] {
        let user = try member(event)
        let channelID = try id(event.args.first?["channelId"])
        let sid = try socket(event)
        let username = try await context.read { db in
            try checkChannel(db, channelID, user: user.id)
            return try displayName(db, user)
        }
        let update: JSON = ["channelId": .int(channelID), "userId": .int(user.id), "username": .string(username),
                            "isTyping": .bool(isTyping)]
        return [.emit(Emit(ns: event.route.ns, event: "typing:update", args: [update],
                           to: Audience(rooms: ["channel:\(channelID)"]), except: Exclusion(sids: [sid])))]
            + event.acknowledge([["ok": true]])
    }

    /// `message:create {channelId, content}`: checked in the seed's order (content, channel,
    /// membership), stored, and sent as `message:new` to `channel:{id}`, sender included.
    static func messageCreate(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let user = try member(event)
        let payload = event.args.first
        guard let content = payload?["content"]?.stringValue,
              !content.allSatisfy(\.isWhitespace), content.utf16.count <= maxContentLength
        else { throw Failure.invalid }
        let channelID = try id(payload?["channelId"])
        let ns = event.route.ns
        let time = event.header.ts
        return try await context.write { db in
            try checkChannel(db, channelID, user: user.id)
            let message = try ChatStore.insertMessage(db, channel: channelID, user: user.id,
                                                      username: try displayName(db, user), content: content, at: time)
            let json = message.json
            return [.emit(Emit(ns: ns, event: "message:new", args: [json], to: Audience(rooms: ["channel:\(channelID)"])))]
                + event.acknowledge([["ok": true, "message": json]])
        }
    }

    // MARK: Checks

    /// The sender: an authenticated identity with a numeric id (Zizany's `user_id`).
    static func member(_ event: Event) throws(Failure) -> (id: Int64, name: String?) {
        guard let identity = event.user, let id = Int64(identity.id) else { throw Failure.forbidden }
        return (id, identity.name)
    }

    /// The sending socket.
    static func socket(_ event: Event) throws(Failure) -> String {
        guard let sid = event.sid else { throw Failure.invalid }
        return sid
    }

    /// A numeric id: an integer, or the decimal text of one.
    static func id(_ value: JSON?) throws(Failure) -> Int64 {
        if let number = value?.intValue { return number }
        if let text = value?.stringValue, let number = Int64(text) { return number }
        throw Failure.invalid
    }

    /// The channel exists (`E_CHANNEL_NOT_FOUND`) and `user` is a member of its server (`E_FORBIDDEN`).
    static func checkChannel(_ db: Database, _ channelID: Int64, user: Int64) throws {
        guard let isMember = try ChatStore.channelAccess(db, id: channelID, user: user) else {
            throw Failure.channelNotFound
        }
        guard isMember else { throw Failure.forbidden }
    }

    /// The name shown for `user`: the session's username, else the seeded name, else `user {id}`.
    static func displayName(_ db: Database, _ user: (id: Int64, name: String?)) throws -> String {
        if let name = user.name, !name.isEmpty { return name }
        return try ChatStore.userName(db, id: String(user.id)) ?? "user \(user.id)"
    }

}

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
