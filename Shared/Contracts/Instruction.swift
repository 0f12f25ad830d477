/// One step of a service's answer, carried out by the edges in list order.
/// On the wire: a JSON object whose `op` names the case and whose other members are its fields.
public enum Instruction: Sendable, Equatable {
    /// Send an event to every matching local socket.
    case emit(Emit)
    /// Answer the client's acknowledgement for the event being replied to.
    case ack(Ack)
    /// Add sockets (by sid or by user) to rooms.
    case join(Membership)
    /// Remove sockets (by sid or by user) from rooms.
    case leave(Membership)
    /// End sockets' namespace connections.
    case disconnect(Disconnect)
    /// Let a connection the edge is holding for this service's decision through.
    case accept(Decision)
    /// Refuse a connection the edge is holding; `data` becomes the CONNECT_ERROR payload.
    case reject(Decision)

    /// The `op` text of this instruction.
    public var op: String {
        switch self {
        case .emit: "emit"
        case .ack: "ack"
        case .join: "join"
        case .leave: "leave"
        case .disconnect: "disconnect"
        case .accept: "accept"
        case .reject: "reject"
        }
    }
}

/// Which sockets an emit reaches: the union of the listed rooms, sids and users, or all.
public struct Audience: Codable, Sendable, Equatable {
    /// Room names.
    public var rooms: [String]?
    /// Socket ids.
    public var sids: [String]?
    /// User ids (every socket of each user in the namespace).
    public var users: [String]?
    /// Every socket in the namespace.
    public var all: Bool?

    /// The socket ids, when the audience names sockets by sid alone (no rooms, users or
    /// everyone); `nil` otherwise.
    public var sidsOnly: [String]? {
        guard all != true, rooms?.isEmpty ?? true, users?.isEmpty ?? true else { return nil }
        return sids ?? []
    }

    /// An audience from any of its parts.
    public init(rooms: [String]? = nil, sids: [String]? = nil, users: [String]? = nil, all: Bool? = nil) {
        self.rooms = rooms
        self.sids = sids
        self.users = users
        self.all = all
    }
}

/// Sockets an emit skips even when its audience matches them.
public struct Exclusion: Codable, Sendable, Equatable {
    /// Room names whose members are skipped.
    public var rooms: [String]?
    /// Socket ids that are skipped.
    public var sids: [String]?

    /// An exclusion from rooms and/or sids.
    public init(rooms: [String]? = nil, sids: [String]? = nil) {
        self.rooms = rooms
        self.sids = sids
    }
}

/// The fields of an `emit` instruction.
public struct Emit: Codable, Sendable, Equatable {
    /// Namespace, e.g. `/`.
    public var ns: String
    /// Event name sent to the clients.
    public var event: String
    /// Event arguments; binary parts are `{"_placeholder":true,"num":N}` objects.
    public var args: [JSON]
    /// Who receives it.
    public var to: Audience
    /// Who is skipped.
    public var except: Exclusion?
    /// Ask every reached client for an acknowledgement, answered back to a service.
    public var ack: EmitAck?

    /// An emit of `event` with `args` to `to` on `ns`.
    public init(ns: String, event: String, args: [JSON], to: Audience, except: Exclusion? = nil,
                ack: EmitAck? = nil)
    {
        self.ns = ns
        self.event = event
        self.args = args
        self.to = to
        self.except = except
        self.ack = ack
    }
}

/// An emit's request for the clients' acknowledgements. Each client's answer comes back as the
/// event `event` on the emit's namespace, from that client's socket (so with its identity),
/// with one argument `{"token", "ok": true, "args": [...]}`, or `{"token", "ok": false,
/// "error": "TIMEOUT"}` when the client did not answer within `timeoutMs`. It is routed like a
/// client event: the service that wants the answers announces `(ns, event)`.
public struct EmitAck: Codable, Sendable, Equatable {
    /// The event the answers come back as.
    public var event: String
    /// Any text the service wants back with each answer, e.g. a call id.
    public var token: String?
    /// Milliseconds a client has to answer; `nil` waits as long as the socket lives.
    public var timeoutMs: Int64?

    /// An ack request answered as `event`.
    public init(event: String, token: String? = nil, timeoutMs: Int64? = nil) {
        self.event = event
        self.token = token
        self.timeoutMs = timeoutMs
    }
}

/// The fields of an `ack` instruction.
public struct Ack: Codable, Sendable, Equatable {
    /// The socket whose acknowledgement is answered.
    public var sid: String
    /// The acknowledgement's arguments.
    public var args: [JSON]

    /// An acknowledgement for `sid` with `args`.
    public init(sid: String, args: [JSON]) {
        self.sid = sid
        self.args = args
    }
}

/// The fields of `join` and `leave`.
public struct Membership: Codable, Sendable, Equatable {
    /// Namespace of the sockets.
    public var ns: String
    /// Rooms to join or leave.
    public var rooms: [String]
    /// Sockets by id.
    public var sids: [String]?
    /// Sockets by user id (every socket of each user in the namespace).
    public var users: [String]?

    /// A membership change of `rooms` for the given sockets.
    public init(ns: String, rooms: [String], sids: [String]? = nil, users: [String]? = nil) {
        self.ns = ns
        self.rooms = rooms
        self.sids = sids
        self.users = users
    }
}

/// The fields of `disconnect`.
public struct Disconnect: Codable, Sendable, Equatable {
    /// Namespace to disconnect from.
    public var ns: String
    /// Sockets by id.
    public var sids: [String]?
    /// Sockets by user id.
    public var users: [String]?
    /// Why, for logs and life facts.
    public var reason: String?

    /// A disconnect of the given sockets from `ns`.
    public init(ns: String, sids: [String]? = nil, users: [String]? = nil, reason: String? = nil) {
        self.ns = ns
        self.sids = sids
        self.users = users
        self.reason = reason
    }
}

/// The fields of `accept` and `reject`.
public struct Decision: Codable, Sendable, Equatable {
    /// For `reject`: the CONNECT_ERROR payload, e.g. `{"message": "Access denied"}`.
    /// For `accept`: optional facts the edge attaches to the socket.
    public var data: JSON?

    /// A decision carrying `data`.
    public init(data: JSON? = nil) { self.data = data }
}

extension Instruction: Codable {
    private enum OpKey: String, CodingKey { case op }

    /// Decodes `{"op": …, fields…}`; an unknown op is a decoding error.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: OpKey.self)
        let op = try container.decode(String.self, forKey: .op)
        switch op {
        case "emit": self = .emit(try Emit(from: decoder))
        case "ack": self = .ack(try Ack(from: decoder))
        case "join": self = .join(try Membership(from: decoder))
        case "leave": self = .leave(try Membership(from: decoder))
        case "disconnect": self = .disconnect(try Disconnect(from: decoder))
        case "accept": self = .accept(try Decision(from: decoder))
        case "reject": self = .reject(try Decision(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .op, in: container,
                                                   debugDescription: "unknown instruction op \(op)")
        }
    }

    /// Encodes the op and the case's fields into one object.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: OpKey.self)
        try container.encode(op, forKey: .op)
        switch self {
        case .emit(let fields): try fields.encode(to: encoder)
        case .ack(let fields): try fields.encode(to: encoder)
        case .join(let fields), .leave(let fields): try fields.encode(to: encoder)
        case .disconnect(let fields): try fields.encode(to: encoder)
        case .accept(let fields), .reject(let fields): try fields.encode(to: encoder)
        }
    }
}
