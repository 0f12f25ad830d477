import Contracts
@testable import Presence
import ServiceKit

/// The first edge of the tests.
let edgeA = "edge-aaaaaa"
/// The second edge of the tests.
let edgeB = "edge-bbbbbb"

/// An edge's whole state, as a snapshot lists it.
struct Snapshot {
    /// One socket of the snapshot.
    typealias Socket = LifeSocket
    /// The edge.
    var edge: String
    /// Its sockets.
    var sockets: [LifeSocket]
}

/// Life facts built as the edge writes them (docs/bus-protocol.md §7), read back as a service
/// reads them (``LifeRecord``) and turned into the changes ServiceKit's mirror hands on, against
/// the sockets the state holds.
extension PresenceState {
    /// The sockets of `edge` as the state holds them.
    func lifeSockets(of edge: String) -> [String: LifeSocket] {
        var found: [String: LifeSocket] = [:]
        for (key, record) in sockets where key.edge == edge {
            found[key.sid] = LifeSocket(sid: key.sid, ns: record.ns, user: record.identity.map { Identity(id: $0) },
                                        rooms: Array(record.rooms.keys))
        }
        return found
    }

    /// Reads the fact object `fact` of kind `kind` from `edge` and applies its changes.
    mutating func apply(kind: LifeFactKind, fact: JSON, edge: String) throws -> [Instruction] {
        var header = BusHeader(type: .life, from: edge)
        header.event = kind.rawValue
        var object = fact.objectValue ?? [:]
        (object["epoch"], object["seq"]) = (1, 1)
        let record = try LifeRecord(header: header, body: [.object(object)])
        var known = lifeSockets(of: edge)
        return apply(SocketUpdate(changes: EdgeMirror.changes(of: record.fact, edge: edge, in: &known)))
    }

    /// Replaces the sockets of `snapshot.edge` by the snapshot's, as a rebuilt edge does.
    mutating func applySnapshot(_ snapshot: Snapshot) -> [Instruction] {
        let new = Dictionary(uniqueKeysWithValues: snapshot.sockets.map { ($0.sid, $0) })
        return apply(SocketUpdate(changes: EdgeMirror.difference(edge: snapshot.edge, from: lifeSockets(of: snapshot.edge),
                                                                 to: new)))
    }

    /// The initial state of a start: every snapshot's sockets, silently.
    mutating func rebuild(from snapshots: [Snapshot]) {
        let changes = snapshots.flatMap { snapshot in
            EdgeMirror.difference(edge: snapshot.edge, from: [:],
                                  to: Dictionary(uniqueKeysWithValues: snapshot.sockets.map { ($0.sid, $0) }))
        }
        _ = apply(SocketUpdate(changes: changes, isInitial: true))
    }

    /// Edge `edge` went silent: its sockets go.
    mutating func edgeGone(_ edge: String) -> [Instruction] {
        apply(SocketUpdate(changes: EdgeMirror.difference(edge: edge, from: lifeSockets(of: edge), to: [:])))
    }

    /// Applies `connected {sid, ns, ip, transport, user?}`.
    @discardableResult
    mutating func connect(_ sid: String, user: String? = nil, edge: String = edgeA, ns: String = "/") throws
        -> [Instruction]
    {
        var fact: [String: JSON] = ["sid": .string(sid), "ns": .string(ns), "ip": "10.0.0.7", "transport": "websocket"]
        if let user { fact["user"] = ["id": .string(user)] }
        return try apply(kind: .connected, fact: .object(fact), edge: edge)
    }

    /// Applies `disconnected {sid, ns, reason, rooms}`.
    @discardableResult
    mutating func disconnect(_ sid: String, edge: String = edgeA, ns: String = "/", rooms: [String] = []) throws
        -> [Instruction]
    {
        let fact: JSON = ["sid": .string(sid), "ns": .string(ns), "reason": "transport close",
                          "rooms": .array(rooms.map(JSON.string))]
        return try apply(kind: .disconnected, fact: fact, edge: edge)
    }

    /// Applies `joined {sid, ns, room}`.
    @discardableResult
    mutating func join(_ sid: String, _ room: String, edge: String = edgeA, ns: String = "/") throws -> [Instruction] {
        try apply(kind: .joined, fact: ["sid": .string(sid), "ns": .string(ns), "room": .string(room)], edge: edge)
    }

    /// Applies `left {sid, ns, room}`.
    @discardableResult
    mutating func leave(_ sid: String, _ room: String, edge: String = edgeA, ns: String = "/") throws -> [Instruction] {
        try apply(kind: .left, fact: ["sid": .string(sid), "ns": .string(ns), "room": .string(room)], edge: edge)
    }

    /// Sends `addOnlineUser {userID, userUsername}` from `sid`.
    mutating func addOnlineUser(_ userID: JSON, sid: String, edge: String = edgeA, identity: String? = nil,
                                requiresAuth: Bool = false, ns: String = "/") -> EventOutcome
    {
        addOnlineUser(event("addOnlineUser", [["userID": userID, "userUsername": "john_doe"]], sid: sid, edge: edge,
                            identity: identity, requiresAuth: requiresAuth, ns: ns))
    }
}

/// A client event with test defaults: root namespace, anonymous, no ack, auth mode `none`.
func event(_ name: String, _ args: [JSON], sid: String = "s1", edge: String = edgeA, identity: String? = nil,
           requiresAuth: Bool = false, ack: Bool = false, ns: String = "/") -> ClientEvent
{
    ClientEvent(ns: ns, name: name, sid: sid, edge: edge, user: identity.map { Identity(id: $0) }, wantsAck: ack,
                args: args, namespaceRequiresAuth: requiresAuth, ts: 1_761_402_600_000)
}

/// `newOnlineUser {type, userID}` to every socket of `ns`.
func newOnlineUser(_ type: String, _ userID: String, ns: String = "/") -> Instruction {
    .emit(Emit(ns: ns, event: "newOnlineUser", args: [["type": .string(type), "userID": .string(userID)]],
               to: Audience(all: true)))
}

/// `presence:update {serverId, onlineUserIds}` to room `server:{serverId}` (or to `sids`).
func presenceUpdate(_ serverId: JSON, _ ids: [JSON], sids: [String]? = nil, ns: String = "/") -> Instruction {
    let room = "server:" + (serverId.stringValue ?? serverId.intValue.map { String($0) } ?? "")
    let audience = sids.map { Audience(sids: $0) } ?? Audience(rooms: [room])
    return .emit(Emit(ns: ns, event: "presence:update", args: [["serverId": serverId, "onlineUserIds": .array(ids)]],
                      to: audience))
}

/// A join of `rooms` for socket `sid`.
func joinOf(_ rooms: [String], sid: String, ns: String = "/") -> Instruction {
    .join(Membership(ns: ns, rooms: rooms, sids: [sid]))
}

/// A leave of `rooms` for socket `sid`.
func leaveOf(_ rooms: [String], sid: String, ns: String = "/") -> Instruction {
    .leave(Membership(ns: ns, rooms: rooms, sids: [sid]))
}

/// The `error` emit a refused HomeAssistant request sends to `sid`, as its code and payload.
func refusal(_ instructions: [Instruction]) -> (sid: String, code: String, payload: JSON)? {
    guard instructions.count == 1, case .emit(let emit) = instructions[0], emit.event == "error",
          let sid = emit.to.sids?.first, let payload = emit.args.first, let code = payload["code"]?.stringValue
    else { return nil }
    return (sid, code, payload)
}

/// The compact JSON text of instructions, as they go on the bus.
func wire(_ instructions: [Instruction]) throws -> String {
    String(decoding: try JSONCoding.encode(instructions), as: UTF8.self)
}
