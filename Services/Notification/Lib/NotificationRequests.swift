import Contracts
import Foundation

/// The events the notification service answers, by their wire names.
public enum NotificationEvent: String, Sendable, CaseIterable {
    /// HomeAssistant client event: `commentNotification {newComment, notificationObj}`.
    case commentNotification
    /// HomeAssistant client event: `ratingNotification {client, houseworker, rating, houseworkerID, notification}`.
    case ratingNotification
    /// Marks a notification read: `notification:read {id}` (this service's own event).
    case read = "notification:read"
    /// Bus request (namespace `""`) from chat: `{notifications: [...]}`.
    case createUserToGroupNotify
    /// Bus request (namespace `""`) from chat: `{notifications: [...]}`.
    case addUserToGroupNotify
    /// Bus request (namespace `""`) from chat: `{roomID, newRoomID, kickedUserID, notifications: [...]}`.
    case kickUserFromGroupNotify
    /// Bus request (namespace `""`) from chat: `{roomID, notifications: [...]}`.
    case deleteUserRoomNotify

    /// The client events, answered on each client namespace.
    public static let clientEvents: [NotificationEvent] = [.commentNotification, .ratingNotification, .read]
    /// The group notifications, asked by other services on namespace `""`.
    public static let groupRequests: [NotificationEvent] = [.createUserToGroupNotify, .addUserToGroupNotify,
                                                            .kickUserFromGroupNotify, .deleteUserRoomNotify]
}

/// Why a request is refused: the `code` of HomeAssistant's error format and a sentence.
public struct Refusal: Error, Sendable, Equatable {
    /// `INVALID_PAYLOAD`, `FORBIDDEN` or `NOT_FOUND`.
    public var code: String
    /// A human-readable sentence.
    public var message: String

    static func invalid(_ message: String) -> Refusal { Refusal(code: "INVALID_PAYLOAD", message: message) }
    static func forbidden(_ message: String) -> Refusal { Refusal(code: "FORBIDDEN", message: message) }
    static let notFound = Refusal(code: "NOT_FOUND", message: "No such notification")
}

/// One notification to create: who gets it and what they receive once the id and date are known.
struct PlannedNotification: Sendable {
    var recipient: String
    var sender: String?
    /// The deliveries, given the assigned id and the notification date object.
    var deliveries: @Sendable (_ id: Int64, _ date: JSON) -> [Delivery]
}

/// Who sent an event, as far as the service may believe it.
struct Sender: Sendable, Equatable {
    /// The authenticated user id (header `user`), if any.
    var identity: String?
    /// The namespace authenticates (`jwt`, `session`): an anonymous socket may name nobody.
    var namespaceRequiresAuth: Bool

    /// The sender id to store and deliver: the identity when there is one (a different `claimed`
    /// id is refused), else `claimed` where the namespace trusts payloads (the contract's behaviour).
    func resolve(claimed: String?) throws(Refusal) -> String? {
        if let identity {
            if let claimed, claimed != identity {
                throw .forbidden("The notification's sender \(claimed) is not the authenticated user")
            }
            return identity
        }
        if namespaceRequiresAuth { throw .forbidden("Authentication required") }
        return claimed
    }
}

/// Parsing and checking of each event's payload into the notifications to create (no I/O).
enum NotificationRequests {
    /// A user id: a non-empty string, or an integer as its decimal text.
    static func id(_ value: JSON?) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty: return text
        case .some(let json): return json.intValue.map { String($0) }
        case nil: return nil
        }
    }

    /// The notification object as delivered: the sender's fields with the service's `id`, `date`,
    /// `read: false`, `to` and (when known) `from`.
    static func stamp(_ object: [String: JSON], id: Int64, date: JSON, to: String, from: String?) -> JSON {
        var object = object
        object["id"] = .int(id)
        object["date"] = date
        object["read"] = false
        object["to"] = .string(to)
        if let from { object["from"] = .string(from) }
        return .object(object)
    }

    /// `commentNotification {newComment, notificationObj}` → `privateCommentNotify {newComment,
    /// notificationObj}` and `newCommentChange newComment` for `newComment.houseworkerID`.
    static func comment(_ args: [JSON], sender: Sender) throws(Refusal) -> PlannedNotification {
        guard let payload = args.first?.objectValue, let newComment = payload["newComment"]?.objectValue,
              let notificationObj = payload["notificationObj"]?.objectValue
        else { throw .invalid("Expected {newComment, notificationObj}") }
        guard let houseworker = id(newComment["houseworkerID"]) else {
            throw .invalid("newComment.houseworkerID is missing")
        }
        if let to = id(notificationObj["to"]), to != houseworker {
            throw .invalid("notificationObj.to is not newComment.houseworkerID")
        }
        let from = try sender.resolve(claimed: id(notificationObj["from"]))
        let comment = JSON.object(newComment)
        return PlannedNotification(recipient: houseworker, sender: from) { id, date in
            let notification = stamp(notificationObj, id: id, date: date, to: houseworker, from: from)
            return [Delivery(event: "privateCommentNotify", args: [["newComment": comment, "notificationObj": notification]]),
                    Delivery(event: "newCommentChange", args: [comment])]
        }
    }

    /// `ratingNotification {client, houseworker, rating, houseworkerID, notification}` →
    /// `privateRatingNotify-{houseworkerID}` with the same object, `notification` stamped.
    static func rating(_ args: [JSON], sender: Sender) throws(Refusal) -> PlannedNotification {
        guard let payload = args.first?.objectValue, let notification = payload["notification"]?.objectValue else {
            throw .invalid("Expected {client, houseworker, rating, houseworkerID, notification}")
        }
        guard let houseworker = id(payload["houseworkerID"]) else { throw .invalid("houseworkerID is missing") }
        if let to = id(notification["to"]), to != houseworker {
            throw .invalid("notification.to is not houseworkerID")
        }
        let from = try sender.resolve(claimed: id(notification["from"]))
        return PlannedNotification(recipient: houseworker, sender: from) { id, date in
            var object = payload
            object["notification"] = stamp(notification, id: id, date: date, to: houseworker, from: from)
            return [Delivery(event: "privateRatingNotify-\(houseworker)", args: [.object(object)])]
        }
    }

    /// The group notifications chat asks for: one per entry of `notifications` (or the single
    /// `notification`), to the user in its `to`; `deleteUserRoomNotify` with `to: "room"` goes to
    /// every member of `roomID` but the sender.
    static func group(_ request: NotificationEvent, _ args: [JSON]) throws(Refusal) -> [PlannedNotification] {
        guard let payload = args.first?.objectValue else { throw .invalid("Expected an object") }
        let list = payload["notifications"]?.arrayValue ?? payload["notification"].map { [$0] }
        guard let list, !list.isEmpty else { throw .invalid("notifications is missing or empty") }
        var planned: [PlannedNotification] = []
        for entry in list {
            guard let notification = entry.objectValue else { throw .invalid("A notification is not an object") }
            let from = id(notification["from"])
            for recipient in try recipients(request, notification, payload, from: from) {
                planned.append(PlannedNotification(recipient: recipient, sender: from) { id, date in
                    let to = notification["to"]?.stringValue == "room" ? "room" : recipient
                    let stamped = stamp(notification, id: id, date: date, to: to, from: from)
                    return [Delivery(event: request.rawValue, args: [shape(request, stamped, payload)])]
                })
            }
        }
        return planned
    }

    private static func recipients(_ request: NotificationEvent, _ notification: [String: JSON],
                                   _ payload: [String: JSON], from: String?) throws(Refusal) -> [String] {
        if request == .deleteUserRoomNotify, notification["to"]?.stringValue == "room" {
            guard let room = payload["roomID"]?.stringValue ?? notification["roomID"]?.stringValue else {
                throw .invalid("roomID is missing")
            }
            let members = roomMembers(room).filter { $0 != from }
            guard !members.isEmpty else { throw .invalid("roomID names no members") }
            return members
        }
        guard let to = id(notification["to"]), to != "room" else { throw .invalid("A notification has no user in to") }
        return [to]
    }

    /// The user ids of a HomeAssistant room id, `1:2:3` or `room:1:2:3`, each once, in order.
    static func roomMembers(_ room: String) -> [String] {
        let bare = room.hasPrefix("room:") ? String(room.dropFirst(5)) : room
        var seen = Set<String>()
        return bare.split(separator: ":").map(String.init).filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The seed's payload of each group event around the stamped notification.
    private static func shape(_ request: NotificationEvent, _ notification: JSON, _ payload: [String: JSON]) -> JSON {
        switch request {
        case .kickUserFromGroupNotify:
            var object: [String: JSON] = ["notification": notification]
            for key in ["roomID", "newRoomID", "kickedUserID"] { object[key] = payload[key] }
            return .object(object)
        case .deleteUserRoomNotify:
            guard var object = notification.objectValue else { return notification }
            if object["roomID"] == nil { object["roomID"] = payload["roomID"] }
            return .object(object)
        default:
            return notification
        }
    }

    /// The id of `notification:read {id}` (an integer, or its decimal text).
    static func readID(_ args: [JSON]) throws(Refusal) -> Int64 {
        let value = args.first?["id"] ?? args.first
        if let number = value?.intValue { return number }
        if let text = value?.stringValue, let number = Int64(text) { return number }
        throw .invalid("Expected {id}")
    }

    /// The seed's notification `date` object (`{day, month, year, time: "HH:mm"}`, UTC) for `ms`.
    static func date(_ milliseconds: Int64) -> JSON {
        let parts = Timestamp.parts(milliseconds)
        let time = String(format: "%02d:%02d", parts.hour, parts.minute)
        return ["day": .int(Int64(parts.day)), "month": .int(Int64(parts.month)), "year": .int(Int64(parts.year)),
                "time": .string(time), "timestamp": .int(milliseconds)]
    }

    /// HomeAssistant's error format `{error, code, timestamp}`, timestamp ISO 8601 UTC with ms.
    static func errorPayload(_ refusal: Refusal, ts: Int64) -> JSON {
        ["error": .string(refusal.message), "code": .string(refusal.code), "timestamp": .string(Timestamp.iso8601(ts))]
    }
}
