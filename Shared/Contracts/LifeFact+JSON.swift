/// The wire form of a `life` message (docs/bus-protocol.md §7): the header names the kind
/// (`event`), the edge, and the socket; the body is a one-element array holding the fact object,
/// whose `epoch` and `seq` are the record's stamp.
extension LifeRecord {
    /// Why a `life` message could not be read.
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        /// What is missing or wrong, e.g. `seq` or `sockets[].sid`.
        public var member: String

        /// A message whose `member` is missing or has the wrong JSON type.
        public init(member: String) {
            self.member = member
        }

        /// `malformed life fact: <member>`.
        public var description: String { "malformed life fact: \(member)" }
    }

    /// The header of the message: `type: life`, `from` and `edge` the edge, `event` the kind,
    /// `sid`, `ns` and `user` of the fact's socket; `re` the resync request a snapshot answers.
    public func header(re: String? = nil) -> BusHeader {
        var header = BusHeader(type: .life, from: edge, re: re)
        header.event = fact.kind.rawValue
        header.edge = edge
        switch fact {
        case .connected(let fact): (header.sid, header.ns, header.user) = (fact.sid, fact.ns, fact.user)
        case .disconnected(let fact): (header.sid, header.ns, header.user) = (fact.sid, fact.ns, fact.user)
        case .joined(let fact), .left(let fact): (header.sid, header.ns, header.user) = (fact.sid, fact.ns, fact.user)
        case .snapshot: break
        }
        return header
    }

    /// The body: `[fact object]`, the object's members as in the table of §7 plus `epoch` and `seq`.
    public var body: JSON {
        var object: [String: JSON]
        switch fact {
        case .connected(let fact):
            object = ["sid": .string(fact.sid), "ns": .string(fact.ns), "ip": .string(fact.ip),
                      "transport": .string(fact.transport)]
            if let auth = fact.auth { object["auth"] = auth }
            if let user = fact.user { object["user"] = user.lifeJSON }
        case .disconnected(let fact):
            object = ["sid": .string(fact.sid), "ns": .string(fact.ns), "reason": .string(fact.reason),
                      "rooms": .array(fact.rooms.map(JSON.string))]
            if let user = fact.user { object["user"] = user.lifeJSON }
        case .joined(let fact), .left(let fact):
            object = ["sid": .string(fact.sid), "ns": .string(fact.ns), "room": .string(fact.room)]
            if let user = fact.user { object["user"] = user.lifeJSON }
        case .snapshot(let sockets):
            object = ["edge": .string(edge), "sockets": .array(sockets.map(\.json))]
        }
        object["epoch"] = .int(stamp.epoch)
        object["seq"] = .int(Int64(stamp.seq))
        return [.object(object)]
    }

    /// Reads a `life` message from its header and body. The edge is the header's `edge` (else
    /// `from`); a missing `ns` means `/`.
    public init(header: BusHeader, body: JSON) throws(Malformed) {
        guard let kind = header.event.flatMap(LifeFactKind.init(rawValue:)) else { throw Malformed(member: "event") }
        guard let object = body[0], object.objectValue != nil else { throw Malformed(member: "body") }
        guard let epoch = object["epoch"]?.intValue else { throw Malformed(member: "epoch") }
        guard let seq = object["seq"]?.intValue, seq >= 0 else { throw Malformed(member: "seq") }
        let edge = header.edge ?? header.from
        func text(_ member: String) throws(Malformed) -> String {
            guard let value = object[member]?.stringValue else { throw Malformed(member: member) }
            return value
        }
        let ns = object["ns"]?.stringValue ?? "/"
        let user = try Self.identity(object["user"], member: "user")
        let fact: LifeFact
        switch kind {
        case .connected:
            fact = .connected(.init(sid: try text("sid"), ns: ns, user: user, ip: object["ip"]?.stringValue ?? "",
                                    transport: object["transport"]?.stringValue ?? "", auth: object["auth"]))
        case .disconnected:
            fact = .disconnected(.init(sid: try text("sid"), ns: ns, user: user,
                                       reason: object["reason"]?.stringValue ?? "",
                                       rooms: (object["rooms"]?.arrayValue ?? []).compactMap(\.stringValue)))
        case .joined:
            fact = .joined(.init(sid: try text("sid"), ns: ns, user: user, room: try text("room")))
        case .left:
            fact = .left(.init(sid: try text("sid"), ns: ns, user: user, room: try text("room")))
        case .snapshot:
            guard let list = object["sockets"]?.arrayValue else { throw Malformed(member: "sockets") }
            var sockets: [LifeSocket] = []
            for entry in list {
                guard let sid = entry["sid"]?.stringValue else { throw Malformed(member: "sockets[].sid") }
                sockets.append(LifeSocket(sid: sid, ns: entry["ns"]?.stringValue ?? "/",
                                          user: try Self.identity(entry["user"], member: "sockets[].user"),
                                          rooms: (entry["rooms"]?.arrayValue ?? []).compactMap(\.stringValue)))
            }
            fact = .snapshot(sockets)
        }
        self.init(edge: edge, stamp: LifeStamp(epoch: epoch, seq: UInt64(seq)), fact: fact)
    }

    /// The identity in a `user` member (`{id, role?, name?}`, `id` a string or an integer);
    /// `nil` when absent or `null`.
    static func identity(_ value: JSON?, member: String) throws(Malformed) -> Identity? {
        guard let value, !value.isNull else { return nil }
        let id: String
        switch value["id"] {
        case .string(let text): id = text
        case .some(let number) where number.intValue != nil: id = String(number.intValue!)
        default: throw Malformed(member: member)
        }
        return Identity(id: id, role: value["role"]?.stringValue, name: value["name"]?.stringValue)
    }
}

extension LifeSocket {
    /// `{sid, ns, user?, rooms}` as a snapshot lists it.
    public var json: JSON {
        var object: [String: JSON] = ["sid": .string(sid), "ns": .string(ns), "rooms": .array(rooms.map(JSON.string))]
        if let user { object["user"] = user.lifeJSON }
        return .object(object)
    }
}

extension Identity {
    /// The identity as life facts carry it: `{id, role?, name?}`.
    public var lifeJSON: JSON {
        var object: [String: JSON] = ["id": .string(id)]
        if let role { object["role"] = .string(role) }
        if let name { object["name"] = .string(name) }
        return .object(object)
    }
}

/// The request for snapshots (docs/bus-protocol.md §7, "Resync"): an `event` named `resync` on
/// topic `edge`, expecting no reply; its body lists the edges asked (`["edge-1a2b3c"]`), an
/// empty list asking every edge. Each edge asked answers with one `snapshot` life fact.
public enum Resync {
    /// The event's name.
    public static let event = "resync"

    /// Whether a request with arguments `args` asks edge `edge`.
    public static func asks(_ args: [JSON], edge: String) -> Bool {
        args.isEmpty || args.contains { $0.stringValue == edge }
    }
}
