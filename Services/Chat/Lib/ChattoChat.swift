import Contracts
import GRDB
import ServiceKit

/// Chatto (seed 004): `join room`, `leave room` (ours), `chat message`, `create room` and
/// `typing`. A room's sockets are in the Socket.IO room `chatto:{roomId}`; which socket
/// joined which room as whom is stored, so that `user left room` follows a disconnect.
enum ChattoChat {
    /// A refusal: the ack `{success: false, error}` when one was asked, else an `error` event
    /// `{event, error}` to the sender.
    struct Failure: Error, Equatable {
        /// The text the client sees.
        var message: String

        static let invalid = Failure(message: "Invalid payload")
        static let roomNotFound = Failure(message: "Room not found")
        static let userRequired = Failure(message: "User is required")
        static let textLength = Failure(message: "Message text must be 1 to \(ChattoChat.maxTextLength) characters")
        static let nameLength = Failure(message: "Room name must be 1 to \(ChattoChat.maxNameLength) characters")
        static let notInRoom = Failure(message: "Join the room first")
        static let forbidden = Failure(message: "You cannot act as another user")
    }

    /// The longest message, in UTF-16 code units (a JavaScript client's `text.length`).
    static let maxTextLength = 2000
    /// The longest room name or user name.
    static let maxNameLength = 100
    /// How many messages `message history` carries.
    static let historyLength = 50

    /// The Socket.IO room of Chatto room `id`.
    static func socketRoom(_ id: String) -> String { "chatto:\(id)" }

    /// Registers the Chatto events on `ns`.
    static func register(_ definition: inout ServiceDefinition, ns: String) {
        definition.on(ns, "join room") { event, context in try await answer(event, context) { try await join(event, context) } }
        definition.on(ns, "leave room") { event, context in try await answer(event, context) { try await leave(event, context) } }
        definition.on(ns, "chat message") { event, context in try await answer(event, context) { try await message(event, context) } }
        definition.on(ns, "create room") { event, context in try await answer(event, context) { try await create(event, context) } }
        definition.on(ns, "typing", pure: true) { event, context in try await answer(event, context) { try await typing(event, context) } }
    }

    /// Runs `body`; a ``Failure`` is logged once and becomes the ack or the `error` event.
    static func answer(_ event: Event, _ context: Context, _ body: () async throws -> [Instruction]) async throws
        -> [Instruction]
    {
        do {
            return try await body()
        } catch let failure as Failure {
            context.logger.notice("refused \(event.route): \(failure.message)", metadata: ["sid": "\(event.sid ?? "-")"])
            if event.wantsAck { return event.acknowledge([["success": false, "error": .string(failure.message)]]) }
            guard let sid = event.sid else { return [] }
            return [.emit(Emit(ns: event.route.ns, event: "error",
                               args: [["event": .string(event.route.event), "error": .string(failure.message)]],
                               to: Audience(sids: [sid])))]
        }
    }

    /// `join room {roomId, user}`: joins, sends `message history` to this socket and
    /// `user joined room` to the others in the room.
    static func join(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (roomID, sid) = try target(event)
        let user = try sender(event, claimed: event.args.first?["user"])
        let ns = event.route.ns
        let edge = edgeID(event)
        return try await context.write { db in
            guard try ChatStore.chattoRoom(db, id: roomID) != nil else { throw Failure.roomNotFound }
            let isNew = try ChatStore.enterChattoRoom(db, edge: edge, sid: sid, ns: ns, room: roomID, user: user)
            let history = try ChatStore.chattoHistory(db, room: roomID, limit: historyLength)
            var instructions: [Instruction] = [
                .join(Membership(ns: ns, rooms: [socketRoom(roomID)], sids: [sid])),
                .emit(Emit(ns: ns, event: "message history", args: [.array(history.map(\.json))], to: Audience(sids: [sid]))),
            ]
            if isNew {
                instructions.append(.emit(Emit(ns: ns, event: "user joined room",
                                               args: [["roomId": .string(roomID), "user": .string(user)]],
                                               to: Audience(rooms: [socketRoom(roomID)]), except: Exclusion(sids: [sid]))))
            }
            return instructions + event.acknowledge([["success": true]])
        }
    }

    /// `leave room {roomId}` (ours): leaves, and `user left room` goes to the others.
    static func leave(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (roomID, sid) = try target(event)
        let ns = event.route.ns
        let edge = edgeID(event)
        return try await context.write { db in
            let left = try ChatStore.leaveChattoRooms(db, edge: edge, sid: sid, room: roomID)
            return [.leave(Membership(ns: ns, rooms: [socketRoom(roomID)], sids: [sid]))] + left.map(leftRoom)
                + event.acknowledge([["success": true]])
        }
    }

    /// `chat message {roomId, user, text}`: the room exists, the text is 1…2000 characters,
    /// the user is given and this socket joined the room as that user; stored, then sent to
    /// everyone in the room, sender included.
    static func message(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (roomID, sid) = try target(event)
        let payload = event.args.first
        let ns = event.route.ns
        let edge = edgeID(event)
        let time = event.header.ts
        let claimed = payload?["user"]
        return try await context.write { db in
            guard try ChatStore.chattoRoom(db, id: roomID) != nil else { throw Failure.roomNotFound }
            guard let text = payload?["text"]?.stringValue, !text.allSatisfy(\.isWhitespace),
                  text.utf16.count <= maxTextLength
            else { throw Failure.textLength }
            let user = try sender(event, claimed: claimed)
            guard let presence = try ChatStore.chattoPresence(db, edge: edge, sid: sid, room: roomID),
                  presence.user == user
            else { throw Failure.notInRoom }
            let message = try ChatStore.insertChattoMessage(db, room: roomID, user: user, text: text, at: time)
            return [.emit(Emit(ns: ns, event: "chat message", args: [message.json], to: Audience(rooms: [socketRoom(roomID)])))]
                + event.acknowledge([["success": true, "message": message.json]])
        }
    }

    /// `create room {name}`: stored with a new id; `room created` goes to every client of the namespace.
    static func create(_ event: Event, _ context: Context) async throws -> [Instruction] {
        guard let name = event.args.first?["name"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines),
              !name.isEmpty, name.utf16.count <= maxNameLength
        else { throw Failure.nameLength }
        let ns = event.route.ns
        let time = event.header.ts
        return try await context.write { db in
            let room = ChattoRoom(id: ChatStore.objectID(at: time), name: name, createdAt: time)
            try ChatStore.upsertChattoRoom(db, room)
            return [.emit(Emit(ns: ns, event: "room created", args: [room.json], to: Audience(all: true)))]
                + event.acknowledge([["success": true, "room": room.json]])
        }
    }

    /// `typing {roomId, user}` → `typing {roomId, user}` to the others in the room; only from a
    /// socket that joined the room.
    static func typing(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let (roomID, sid) = try target(event)
        let user = try sender(event, claimed: event.args.first?["user"])
        let edge = edgeID(event)
        let presence = try await context.read { db in try ChatStore.chattoPresence(db, edge: edge, sid: sid, room: roomID) }
        guard let presence, presence.user == user else { throw Failure.notInRoom }
        return [.emit(Emit(ns: event.route.ns, event: "typing", args: [["roomId": .string(roomID), "user": .string(user)]],
                           to: Audience(rooms: [socketRoom(roomID)]), except: Exclusion(sids: [sid])))]
            + event.acknowledge([["success": true]])
    }

    // MARK: Helpers

    /// `user left room {roomId, user}` to the room of `presence`.
    static func leftRoom(_ presence: ChattoPresence) -> Instruction {
        .emit(Emit(ns: presence.ns, event: "user left room",
                   args: [["roomId": .string(presence.room), "user": .string(presence.user)]],
                   to: Audience(rooms: [socketRoom(presence.room)])))
    }

    /// The payload's `roomId` and the sending socket.
    static func target(_ event: Event) throws(Failure) -> (room: String, sid: String) {
        guard let payload = event.args.first, payload.objectValue != nil else { throw Failure.invalid }
        guard let room = payload["roomId"]?.stringValue, !room.isEmpty, room.utf16.count <= maxNameLength,
              let sid = event.sid
        else { throw Failure.roomNotFound }
        return (room, sid)
    }

    /// Who is acting: an authenticated socket is its identity's name (or id), and a `user` it
    /// names must be that; an anonymous socket names itself in `user`, which only a namespace
    /// that trusts payloads (`none`, `optional`) accepts.
    static func sender(_ event: Event, claimed: JSON?) throws(Failure) -> String {
        let named = claimed?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let identity = event.user {
            let name = identity.name ?? identity.id
            if let named, !named.isEmpty, named != name, named != identity.id { throw Failure.forbidden }
            return name
        }
        if !event.trustsPayloadIdentity { throw Failure.forbidden }
        guard let named, !named.isEmpty, named.utf16.count <= maxNameLength else { throw Failure.userRequired }
        return named
    }

    /// The edge the event came through.
    static func edgeID(_ event: Event) -> String { event.header.edge ?? event.header.from }
}

extension ChattoChat {
    /// What the edges' sockets mean to Chatto (ServiceKit's mirror of the edges): a socket that
    /// disconnects leaves its rooms with `user left room` to the others; so does every socket an
    /// edge's part no longer holds when the part is described in full (at start, after a
    /// rebuild). An edge declared gone changes nothing yet: the rooms a socket joined, and as
    /// whom, are known only here, so they are kept until its edge speaks again (its sockets are
    /// then still there, or the rebuild says they left) or chat restarts.
    static func registerSockets(_ definition: inout ServiceDefinition) {
        definition.mirrorSockets { update, context in
            var instructions: [Instruction] = []
            switch update.cause {
            case .gone:
                break
            case .fact:
                for case .disconnected(let ref, _) in update.changes {
                    instructions += try await leaveAll(context, edge: ref.edge, sid: ref.sid)
                }
            case .start, .rebuild:
                for (edge, live) in update.parts.sorted(by: { $0.key < $1.key }) {
                    instructions += try await leaveGone(context, edge: edge, live: live)
                }
            }
            return instructions
        }
    }

    /// Forgets the rooms of socket `sid` of `edge` (every socket of it when `sid` is `nil`)
    /// and tells the rooms.
    static func leaveAll(_ context: Context, edge: String, sid: String?) async throws -> [Instruction] {
        try await context.write { db in try ChatStore.leaveChattoRooms(db, edge: edge, sid: sid).map(leftRoom) }
    }

    /// Forgets the rooms of the sockets of `edge` that are not `live` any more, and tells the rooms.
    static func leaveGone(_ context: Context, edge: String, live: Set<String>) async throws -> [Instruction] {
        try await context.write { db in
            let recorded = try String.fetchAll(db, sql: "SELECT DISTINCT sid FROM chatto_presence WHERE edge = ?",
                                               arguments: [edge])
            return try recorded.filter { !live.contains($0) }
                .flatMap { try ChatStore.leaveChattoRooms(db, edge: edge, sid: $0) }.map(leftRoom)
        }
    }
}
