import Foundation

/// The kinds of bus message (the header's `type`).
public enum MessageType: String, Codable, Sendable, CaseIterable {
    /// A client event (from an edge) or a request (from a service) that expects a `reply`.
    case event
    /// The answer to an `event`: its body is an ordered list of instructions.
    case reply
    /// Instructions sent without a request (a timer fired, another service asked).
    case emit
    /// A process announcing itself: who it is, since when, what it handles.
    case hello
    /// A fact about a socket published by an edge (connected, disconnected, joined, left).
    case life
}

/// Frame 1 of every bus message. See `docs/bus-protocol.md` for each field.
public struct BusHeader: Codable, Sendable, Equatable {
    /// The one protocol version this code speaks.
    public static let protocolVersion = 1

    /// Protocol version; always ``protocolVersion``.
    public var v: Int
    /// Unique id of this message; a re-published event keeps its id.
    public var id: String
    /// What kind of message this is.
    public var type: MessageType
    /// Instance id of the sender, e.g. `chat-4f2a9c`.
    public var from: String
    /// Id of the message this one answers.
    public var re: String?
    /// W3C trace context of the operation this message belongs to.
    public var traceparent: String?
    /// Milliseconds since the Unix epoch when the message was first created.
    public var ts: Int64
    /// Socket.IO namespace of the event, e.g. `/` or `/user`.
    public var ns: String?
    /// Event name.
    public var event: String?
    /// Socket.IO socket id the event came from.
    public var sid: String?
    /// Instance id of the edge holding that socket.
    public var edge: String?
    /// The authenticated identity of the socket; absent for anonymous sockets.
    public var user: Identity?
    /// `true` when the client asked for an acknowledgement.
    public var ack: Bool?
    /// The client's IP address.
    public var ip: String?
    /// Topic the reply goes to; absent means `edge` (every edge applies the reply).
    public var replyTo: String?
    /// On a `reply`: an error code when the handler failed (`INTERNAL_ERROR`, `UNKNOWN_EVENT`, …).
    public var error: String?

    /// A header with the fields every message has; event fields are set afterwards.
    public init(type: MessageType, from: String, id: String = MessageID.make(), re: String? = nil,
                ts: Int64 = Clock.millisecondsSinceEpoch())
    {
        self.v = Self.protocolVersion
        self.id = id
        self.type = type
        self.from = from
        self.re = re
        self.ts = ts
    }
}

/// The authenticated identity of a socket, as the edge established it.
public struct Identity: Codable, Sendable, Hashable {
    /// User id, always as a string (numeric ids are carried as their decimal text).
    public var id: String
    /// Role, e.g. `USER` or `TELECALLER`, when the authentication gives one.
    public var role: String?
    /// Display name, when the authentication gives one.
    public var name: String?

    /// An identity with the given fields.
    public init(id: String, role: String? = nil, name: String? = nil) {
        self.id = id
        self.role = role
        self.name = name
    }

    private enum CodingKeys: String, CodingKey { case id, role, name }

    /// Decodes an identity whose `id` may be a JSON string or number.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .id) {
            id = text
        } else {
            id = String(try container.decode(Int64.self, forKey: .id))
        }
        role = try container.decodeIfPresent(String.self, forKey: .role)
        name = try container.decodeIfPresent(String.self, forKey: .name)
    }
}

/// Unique message ids: 24 lowercase hex digits from the system's random generator.
public enum MessageID {
    /// A new random id.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(generator.next(), digits: 16) + hex(UInt64(generator.next() as UInt32), digits: 8)
    }

    /// A short random suffix for instance ids (`chat-4f2a9c`).
    public static func shortSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex(UInt64(generator.next() as UInt32) & 0xFF_FFFF, digits: 6)
    }

    private static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// Wall-clock time in the bus's unit.
public enum Clock {
    /// Milliseconds since the Unix epoch, now.
    public static func millisecondsSinceEpoch() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
