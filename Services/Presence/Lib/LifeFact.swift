import Contracts

/// A fact about sockets published by an edge on topic `life` (see `docs/edge.md`), decoded
/// into the members presence uses. Members it does not use (`ip`, `transport`, `auth`,
/// `reason`) are ignored.
public enum LifeFact: Sendable, Equatable {
    /// `connected {sid, ns, ip, transport, user?, auth?}`: a socket joined a namespace.
    case connected(sid: String, ns: String, user: Identity?)
    /// `disconnected {sid, ns, reason, rooms, user?}`: a socket left its namespace.
    case disconnected(sid: String, ns: String)
    /// `joined {sid, ns, room, user?}`: a socket joined a room.
    case joined(sid: String, ns: String, room: String, user: Identity?)
    /// `left {sid, ns, room, user?}`: a socket left a room.
    case left(sid: String, ns: String, room: String)
    /// `snapshot {edge, sockets: [{sid, ns, user?, rooms}]}`: an edge's whole state.
    case snapshot(Snapshot)

    /// Why a fact could not be decoded.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        /// The fact kind being decoded.
        public var kind: LifeFactKind
        /// The member that is missing or has the wrong JSON type.
        public var member: String

        /// A malformed `kind` fact whose `member` is missing or has the wrong JSON type.
        public init(kind: LifeFactKind, member: String) {
            self.kind = kind
            self.member = member
        }

        /// `malformed <kind> fact: <member>`.
        public var description: String { "malformed \(kind.rawValue) fact: \(member)" }
    }

    /// Decodes the fact object `fact` of kind `kind`; `edge` is the publishing edge, used for a
    /// snapshot whose object names none. A missing `ns` means `/`, as on the bus.
    public init(kind: LifeFactKind, fact: JSON, edge: String) throws(Malformed) {
        func text(_ member: String) throws(Malformed) -> String {
            guard let value = fact[member]?.stringValue else { throw Malformed(kind: kind, member: member) }
            return value
        }
        let ns = fact["ns"]?.stringValue ?? "/"
        switch kind {
        case .connected:
            self = .connected(sid: try text("sid"), ns: ns, user: try Self.identity(fact["user"], kind: kind))
        case .disconnected:
            self = .disconnected(sid: try text("sid"), ns: ns)
        case .joined:
            self = .joined(sid: try text("sid"), ns: ns, room: try text("room"),
                           user: try Self.identity(fact["user"], kind: kind))
        case .left:
            self = .left(sid: try text("sid"), ns: ns, room: try text("room"))
        case .snapshot:
            self = .snapshot(try Snapshot(fact: fact, edge: edge))
        }
    }

    /// The identity in a fact's `user` member (`{id, role?, name?}`, `id` a string or an
    /// integer); `nil` when absent or `null`.
    static func identity(_ value: JSON?, kind: LifeFactKind) throws(Malformed) -> Identity? {
        guard let value, !value.isNull else { return nil }
        guard let id = PresenceID.text(value["id"]) else { throw Malformed(kind: kind, member: "user") }
        return Identity(id: id, role: value["role"]?.stringValue, name: value["name"]?.stringValue)
    }
}

/// An edge's answer to a resync: every socket it holds, with its user and rooms.
public struct Snapshot: Sendable, Equatable {
    /// One socket of the snapshot.
    public struct Socket: Sendable, Equatable {
        /// Socket id.
        public var sid: String
        /// Namespace of the socket.
        public var ns: String
        /// The authenticated identity, if any.
        public var user: Identity?
        /// The rooms the socket is in. Edges list them sorted by name, not in join order.
        public var rooms: [String]

        /// A snapshot socket from its parts.
        public init(sid: String, ns: String, user: Identity? = nil, rooms: [String] = []) {
            self.sid = sid
            self.ns = ns
            self.user = user
            self.rooms = rooms
        }
    }

    /// Instance id of the edge the snapshot describes.
    public var edge: String
    /// Every live socket of that edge.
    public var sockets: [Socket]

    /// A snapshot of `edge` holding `sockets`.
    public init(edge: String, sockets: [Socket]) {
        self.edge = edge
        self.sockets = sockets
    }

    /// Decodes a `snapshot` fact object; `edge` is used when the object has no `edge` member.
    init(fact: JSON, edge: String) throws(LifeFact.Malformed) {
        guard let list = fact["sockets"]?.arrayValue else {
            throw LifeFact.Malformed(kind: .snapshot, member: "sockets")
        }
        var sockets: [Socket] = []
        for entry in list {
            guard let sid = entry["sid"]?.stringValue else {
                throw LifeFact.Malformed(kind: .snapshot, member: "sockets[].sid")
            }
            let rooms = (entry["rooms"]?.arrayValue ?? []).compactMap(\.stringValue)
            sockets.append(Socket(sid: sid, ns: entry["ns"]?.stringValue ?? "/",
                                  user: try LifeFact.identity(entry["user"], kind: .snapshot), rooms: rooms))
        }
        self.init(edge: fact["edge"]?.stringValue ?? edge, sockets: sockets)
    }
}
