import Foundation
import Synchronization

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
    /// How the event's namespace authenticates (`none`, `jwt`, `session`, `optional`): a service
    /// trusts ids in a payload only on `none`, where the contract does.
    public var auth: String?
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

/// Unique message ids: 24 lowercase hex digits, 96 random bits.
///
/// The bits come from a xoshiro256** generator seeded once per process with 256 bits from the
/// system's random generator. Asking the system for every id cost two `getrandom` system calls
/// per message. Ids of different processes stay as unlikely to collide as 96 independent random
/// bits. An id is unique, not secret: nothing may rely on ids being unguessable.
public enum MessageID {
    private static let generator = Mutex(Xoshiro256StarStar())

    /// A new id: 11 hex digits of the milliseconds since the Unix epoch, then 13 random ones
    /// (52 bits). Ids made later sort after those made earlier (from the next millisecond on),
    /// so a table keyed by them, such as a service's dedup table, takes each new row at the end
    /// of its index: with wholly random ids, every event's row landed on a page of its own.
    public static func make() -> String {
        let milliseconds = UInt64(clamping: Clock.millisecondsSinceEpoch())
        let random = generator.withLock { $0.next() }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            writeHex(milliseconds, digits: 11, into: buffer, at: 0)
            writeHex(random, digits: 13, into: buffer, at: 11)
            return 24
        }
    }

    /// A new W3C trace context for an operation that starts here: version `00`, a 128-bit
    /// trace id and a 64-bit span id from the same generator as the ids, flags `01` (sampled).
    public static func traceparent() -> String {
        let (high, low, span) = generator.withLock { generator in (generator.next(), generator.next(), generator.next()) }
        return String(unsafeUninitializedCapacity: 55) { buffer in
            for (offset, text) in [(0, "00-"), (35, "-"), (52, "-01")] {
                for (position, byte) in text.utf8.enumerated() { buffer[offset + position] = byte }
            }
            writeHex(high, digits: 16, into: buffer, at: 3)
            writeHex(low, digits: 16, into: buffer, at: 19)
            writeHex(span, digits: 16, into: buffer, at: 36)
            return 55
        }
    }

    /// A short random suffix for instance ids (`chat-4f2a9c`), straight from the system's generator.
    public static func shortSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64(generator.next() as UInt32) & 0xFF_FFFF
        return String(unsafeUninitializedCapacity: 6) { buffer in
            writeHex(value, digits: 6, into: buffer, at: 0)
            return 6
        }
    }

    /// Writes the low `digits` hex digits of `value`, zero-padded, at `offset`.
    private static func writeHex(_ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>,
                                 at offset: Int)
    {
        var value = value
        for position in stride(from: offset + digits - 1, through: offset, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value & 0xF)
            buffer[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            value >>= 4
        }
    }
}

/// xoshiro256** (Blackman and Vigna): a fast generator with 256 bits of state, seeded from the
/// system's random generator. Not cryptographic; for ``MessageID`` (ids and trace contexts) only.
struct Xoshiro256StarStar: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator seeded from `SystemRandomNumberGenerator` (never all zeros).
    init() {
        var system = SystemRandomNumberGenerator()
        repeat {
            state = (system.next(), system.next(), system.next(), system.next())
        } while state == (0, 0, 0, 0)
    }

    mutating func next() -> UInt64 {
        let result = (state.1 &* 5).rotatedLeft(by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = state.3.rotatedLeft(by: 45)
        return result
    }
}

private extension UInt64 {
    func rotatedLeft(by count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}

/// Wall-clock time in the bus's unit.
public enum Clock {
    /// Milliseconds since the Unix epoch, now.
    public static func millisecondsSinceEpoch() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
