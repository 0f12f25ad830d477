/// Where a life fact stands in the stream of the edge that published it: `epoch` names one run
/// of that edge process (milliseconds since the Unix epoch when it started numbering), `seq`
/// counts its facts from 1, one number per fact, with no gaps (docs/bus-protocol.md §7, "life").
/// A snapshot's stamp is the last fact it already contains; a hello's, the last fact published.
public struct LifeStamp: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The edge run: a later run has a higher epoch.
    public var epoch: Int64
    /// The fact's number in its run (1, 2, 3, …); 0 in a hello or snapshot before any fact.
    public var seq: UInt64

    /// A stamp from its parts.
    public init(epoch: Int64, seq: UInt64) {
        self.epoch = epoch
        self.seq = seq
    }

    /// Earlier run first, then lower number.
    public static func < (lhs: LifeStamp, rhs: LifeStamp) -> Bool {
        (lhs.epoch, lhs.seq) < (rhs.epoch, rhs.seq)
    }

    /// `epoch/seq`.
    public var description: String { "\(epoch)/\(seq)" }
}

/// A socket as an edge names it: the edge's instance id and the socket id.
public struct SocketRef: Codable, Sendable, Hashable, CustomStringConvertible {
    /// Instance id of the edge holding the socket.
    public var edge: String
    /// Socket.IO socket id.
    public var sid: String

    /// The socket `sid` of `edge`.
    public init(edge: String, sid: String) {
        self.edge = edge
        self.sid = sid
    }

    /// `edge/sid`.
    public var description: String { "\(edge)/\(sid)" }
}

/// One socket as a snapshot lists it, and as a mirror of the edges keeps it.
public struct LifeSocket: Sendable, Equatable {
    /// Socket id.
    public var sid: String
    /// Its namespace.
    public var ns: String
    /// Its authenticated identity; `nil` for an anonymous socket.
    public var user: Identity?
    /// The rooms it is in, sorted by name.
    public var rooms: [String]

    /// A socket from its parts; `rooms` are kept sorted.
    public init(sid: String, ns: String, user: Identity? = nil, rooms: [String] = []) {
        self.sid = sid
        self.ns = ns
        self.user = user
        self.rooms = rooms.sorted()
    }
}

/// A fact about sockets, as an edge publishes it on topic `life`: the typed form of the five
/// kinds of docs/bus-protocol.md §7. The edge encodes it once (``LifeRecord``), a service decodes
/// it once.
public enum LifeFact: Sendable, Equatable {
    /// A socket joined a namespace.
    case connected(Connected)
    /// A socket left its namespace, with the rooms it was in.
    case disconnected(Disconnected)
    /// A socket joined a room.
    case joined(RoomChange)
    /// A socket left a room.
    case left(RoomChange)
    /// Every socket of the edge: its answer to a `resync` request.
    case snapshot([LifeSocket])

    /// `connected {sid, ns, ip, transport, user?, auth?}`.
    public struct Connected: Sendable, Equatable {
        /// Socket id.
        public var sid: String
        /// Namespace.
        public var ns: String
        /// The authenticated identity, if any.
        public var user: Identity?
        /// The client's address, as the edge saw it.
        public var ip: String
        /// `websocket` or `polling`.
        public var transport: String
        /// The CONNECT payload without its `token`, if the client sent one.
        public var auth: JSON?

        /// A `connected` fact from its parts.
        public init(sid: String, ns: String, user: Identity? = nil, ip: String = "", transport: String = "",
                    auth: JSON? = nil)
        {
            self.sid = sid
            self.ns = ns
            self.user = user
            self.ip = ip
            self.transport = transport
            self.auth = auth
        }
    }

    /// `disconnected {sid, ns, reason, rooms, user?}`.
    public struct Disconnected: Sendable, Equatable {
        /// Socket id.
        public var sid: String
        /// Namespace.
        public var ns: String
        /// The authenticated identity, if any.
        public var user: Identity?
        /// Socket.IO's reason, e.g. `transport close`.
        public var reason: String
        /// The rooms the socket was in, sorted.
        public var rooms: [String]

        /// A `disconnected` fact from its parts.
        public init(sid: String, ns: String, user: Identity? = nil, reason: String = "", rooms: [String] = []) {
            self.sid = sid
            self.ns = ns
            self.user = user
            self.reason = reason
            self.rooms = rooms.sorted()
        }
    }

    /// `joined {sid, ns, room, user?}` and `left {sid, ns, room, user?}`.
    public struct RoomChange: Sendable, Equatable {
        /// Socket id.
        public var sid: String
        /// Namespace.
        public var ns: String
        /// The authenticated identity, if any.
        public var user: Identity?
        /// The room.
        public var room: String

        /// A room fact from its parts.
        public init(sid: String, ns: String, user: Identity? = nil, room: String) {
            self.sid = sid
            self.ns = ns
            self.user = user
            self.room = room
        }
    }

    /// The fact's kind: the header's `event`.
    public var kind: LifeFactKind {
        switch self {
        case .connected: .connected
        case .disconnected: .disconnected
        case .joined: .joined
        case .left: .left
        case .snapshot: .snapshot
        }
    }
}

/// One `life` message: the fact, the edge that published it and where it stands in that edge's
/// stream. Encoded by ``header(re:)`` and ``body``, decoded by ``init(header:body:)``.
public struct LifeRecord: Sendable, Equatable {
    /// Instance id of the publishing edge.
    public var edge: String
    /// The fact's place in the edge's stream (a snapshot: the last fact it contains).
    public var stamp: LifeStamp
    /// The fact.
    public var fact: LifeFact

    /// A record from its parts.
    public init(edge: String, stamp: LifeStamp, fact: LifeFact) {
        self.edge = edge
        self.stamp = stamp
        self.fact = fact
    }
}
