import Contracts
import GRDB
import ServiceKit

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
        } else if !event.trustsPayloadIdentity {
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
        let name = event.user.map { $0.name ?? $0.id } ?? user["username"]?.stringValue ?? sender
        guard let sid = event.sid else { throw Refusal.invalid("No socket") }
        let args: JSON = ["senderID": .string(sender), "senderUsername": .string(name), "roomID": .string(room.id)]
        return [.emit(Emit(ns: event.route.ns, event: start ? "typingMessageStart" : "typingMessageStop", args: [args],
                           to: Audience(rooms: [socketRoom(room)]), except: Exclusion(sids: [sid])))]
            + event.acknowledge([["success": true]])
    }

    /// A `message {data: {...}}` as the service accepts it.
    struct IncomingMessage: Sendable {
        var room: HomeRoomID
        var sender: String
        var text: String
        var claimedName: JSON?
        var contact: Bool
        var createRoomNotification: JSON
    }

    /// Reads and checks `message {data: {message, from, roomID, fromUsername, contact,
    /// createRoomNotification, …}}`: the sender is the acting user and a member of the room
    /// id; the text is a string of 1…``maxMessageLength`` units, not blank. `lastMessage`,
    /// `roomKey` and `unreadMessArray` are not used: the service computes them.
    static func incomingMessage(_ event: Event) throws(Refusal) -> IncomingMessage {
        let data = try data(event)
        guard let room = HomeRoomID(data["roomID"]) else { throw .invalid("Invalid room ID format") }
        let sender = try actor(event, claimed: data["from"])
        guard room.contains(sender) else { throw .notMember }
        guard let text = data["message"]?.stringValue, !text.allSatisfy(\.isWhitespace),
              text.utf16.count <= maxMessageLength
        else { throw .invalid("message must be a text of 1 to \(maxMessageLength) characters") }
        return IncomingMessage(room: room, sender: sender, text: text, claimedName: data["fromUsername"],
                               contact: data["contact"]?.boolValue ?? false,
                               createRoomNotification: data["createRoomNotification"] ?? .null)
    }

    /// `message`: stored with per-recipient unread counts (a first message creates a private
    /// conversation of two, and the sending socket joins its room; a group must exist); `messageRoom` to the room,
    /// `messagePage` to each recipient's `user:{id}` except sockets in the room,
    /// `firstMessageConversation` to the recipients when `contact` is true, and
    /// `messageResponseNotify` to each recipient's `user:{id}`.
    static func message(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let incoming = try incomingMessage(event)
        let ns = event.route.ns
        let time = event.header.ts
        return try await context.write { db in
            // Only a private chat starts with its first message; groups come from createUserGroup,
            // so a kicked member cannot bring back the group it was removed from.
            let exists = try HomeStore.exists(db, incoming.room)
            guard exists || incoming.room.members.count == 2 else { throw Refusal.notFound }
            let name = try displayName(db, event, user: incoming.sender, claimed: incoming.claimedName)
            let created = try HomeStore.create(db, incoming.room, at: time)
            let unread = try HomeStore.insertMessage(db, room: incoming.room, sender: incoming.sender,
                                                          senderName: name, text: incoming.text, at: time)
            var instructions: [Instruction] = []
            if created, let sid = event.sid {
                instructions.append(.join(Membership(ns: ns, rooms: [socketRoom(incoming.room)], sids: [sid])))
            }
            instructions += fanOut(incoming, name: name, unread: unread, ns: ns, time: time)
            return instructions + event.acknowledge([["success": true]])
        }
    }

    /// The emits of one stored message.
    static func fanOut(_ incoming: IncomingMessage, name: String, unread: [String: Int64], ns: String,
                       time: Int64) -> [Instruction]
    {
        let room = incoming.room
        let roomID = JSON.string(room.id)
        let text = JSON.string(incoming.text)
        let recipients = room.members.filter { $0 != incoming.sender }
        var instructions: [Instruction] = [
            .emit(Emit(ns: ns, event: "messageRoom",
                       args: [["message": text, "from": .string(incoming.sender), "roomID": roomID,
                               "fromUsername": .string(name), "date": date(time)]],
                       to: Audience(rooms: [socketRoom(room)]))),
            .emit(Emit(ns: ns, event: "messagePage", args: [["roomID": roomID, "lastMessage": text]],
                       to: Audience(rooms: recipients.map(userRoom)), except: Exclusion(rooms: [socketRoom(room)]))),
        ]
        if incoming.contact {
            instructions.append(.emit(Emit(ns: ns, event: "firstMessageConversation",
                                           args: [["roomID": roomID, "from": .string(incoming.sender),
                                                   "fromUsername": .string(name), "lastMessage": text]],
                                           to: Audience(rooms: recipients.map(userRoom)))))
        }
        for recipient in recipients {
            let notice: JSON = ["roomID": roomID, "fromUsername": .string(name), "fromUserID": .string(incoming.sender),
                                "userID": .string(recipient), "lastMessage": text, "unreadUpdateStatus": true,
                                "unreadCount": .int(unread[recipient] ?? 1),
                                "createRoomNotification": incoming.createRoomNotification]
            instructions.append(.emit(Emit(ns: ns, event: "messageResponseNotify", args: [notice],
                                           to: Audience(rooms: [userRoom(recipient)]))))
        }
        return instructions
    }
}
