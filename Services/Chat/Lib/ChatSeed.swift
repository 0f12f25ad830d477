import Contracts
import GRDB

/// The chat service's part of a seed document (docs/seed.md): `users`, Zizany's `servers`,
/// `channels` and `memberships`, Chatto's `chatRooms`, HomeAssistant's `conversations`. Other
/// members are ignored.
struct ChatSeed {
    /// Why a document was refused; nothing of it is applied.
    struct Invalid: Error, Equatable, CustomStringConvertible {
        /// What is wrong, e.g. `channels[1].serverId is missing`.
        var description: String
    }

    /// A membership to add, or to remove (`removed: true`).
    struct MembershipChange: Equatable {
        var server: Int64
        var user: Int64
        var removed: Bool
    }

    var users: [(id: String, name: String)] = []
    var servers: [(id: Int64, name: String)] = []
    var channels: [(id: Int64, server: Int64, name: String)] = []
    var memberships: [MembershipChange] = []
    var chatRooms: [ChattoRoom] = []
    var conversations: [HomeRoomID] = []

    /// Reads the members; any malformed entry refuses the whole document.
    init(document: JSON, now: Int64) throws(Invalid) {
        guard document.objectValue != nil else { throw Invalid(description: "the seed document is not an object") }
        for (index, entry) in try Self.list(document, "users").enumerated() {
            let at = "users[\(index)]"
            users.append((try Self.key(entry, "id", at), try Self.text(entry, "name", at)))
        }
        for (index, entry) in try Self.list(document, "servers").enumerated() {
            let at = "servers[\(index)]"
            servers.append((try Self.number(entry, "id", at), try Self.text(entry, "name", at)))
        }
        for (index, entry) in try Self.list(document, "channels").enumerated() {
            let at = "channels[\(index)]"
            channels.append((try Self.number(entry, "id", at), try Self.number(entry, "serverId", at),
                             try Self.text(entry, "name", at)))
        }
        for (index, entry) in try Self.list(document, "memberships").enumerated() {
            let at = "memberships[\(index)]"
            let removed = entry["removed"]
            guard removed == nil || removed?.boolValue != nil else { throw Invalid(description: "\(at).removed is not a boolean") }
            memberships.append(MembershipChange(server: try Self.number(entry, "serverId", at),
                                                user: try Self.number(entry, "userId", at),
                                                removed: removed?.boolValue ?? false))
        }
        for (index, entry) in try Self.list(document, "chatRooms").enumerated() {
            let at = "chatRooms[\(index)]"
            var created = now
            if let text = entry["createdAt"]?.stringValue {
                guard let parsed = Timestamp.parse(text) else { throw Invalid(description: "\(at).createdAt is not ISO 8601") }
                created = parsed
            }
            chatRooms.append(ChattoRoom(id: try Self.key(entry, "id", at), name: try Self.text(entry, "name", at),
                                        createdAt: created))
        }
        for (index, entry) in try Self.list(document, "conversations").enumerated() {
            guard let room = HomeRoomID(entry["roomID"]) else {
                throw Invalid(description: "conversations[\(index)].roomID is not a room id like \"1:2\"")
            }
            conversations.append(room)
        }
    }

    /// Counts for the seed's answer.
    var counts: [String: JSON] {
        ["users": .int(Int64(users.count)), "servers": .int(Int64(servers.count)),
         "channels": .int(Int64(channels.count)), "memberships": .int(Int64(memberships.count)),
         "chatRooms": .int(Int64(chatRooms.count)), "conversations": .int(Int64(conversations.count))]
    }

    private static func list(_ document: JSON, _ key: String) throws(Invalid) -> [JSON] {
        guard let value = document[key], !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw Invalid(description: "\(key) is not an array") }
        return list
    }

    private static func key(_ entry: JSON, _ member: String, _ at: String) throws(Invalid) -> String {
        if let text = entry[member]?.stringValue, !text.isEmpty { return text }
        if let number = entry[member]?.intValue { return String(number) }
        throw Invalid(description: "\(at).\(member) is missing")
    }

    private static func number(_ entry: JSON, _ member: String, _ at: String) throws(Invalid) -> Int64 {
        if let number = entry[member]?.intValue { return number }
        if let text = entry[member]?.stringValue, let number = Int64(text) { return number }
        throw Invalid(description: "\(at).\(member) is missing or not a number")
    }

    private static func text(_ entry: JSON, _ member: String, _ at: String) throws(Invalid) -> String {
        guard let text = entry[member]?.stringValue, !text.isEmpty else {
            throw Invalid(description: "\(at).\(member) is missing or not a string")
        }
        return text
    }
}
