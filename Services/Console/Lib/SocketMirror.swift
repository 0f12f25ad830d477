import Bus
import Contracts
import Foundation

/// The sockets of every edge as the console has seen them in life facts (`connected`,
/// `disconnected`, `joined`, `left`, and an edge's whole `snapshot` when some process asked for a
/// resync): what the rooms-and-sockets lookup and the connection plots read. Sockets that
/// connected before the console started are known from the next snapshot on.
struct SocketMirror {
    /// One socket.
    struct Socket: Sendable, Equatable {
        var edge: String
        var sid: String
        var ns: String
        var user: String?
        var rooms: Set<String>
    }

    private var sockets: [String: Socket] = [:]

    private static func key(edge: String, sid: String) -> String { edge + " " + sid }

    /// Takes in one life fact.
    mutating func take(_ envelope: Envelope) {
        let header = envelope.header
        guard let facts = try? envelope.decodeBody(as: [JSON].self), let fact = facts.first else { return }
        let edge = header.edge ?? fact["edge"]?.stringValue ?? header.from
        if header.event == "snapshot" {
            sockets = sockets.filter { $0.value.edge != edge }
            for socket in fact["sockets"]?.arrayValue ?? [] {
                guard let sid = socket["sid"]?.stringValue else { continue }
                let rooms = Set((socket["rooms"]?.arrayValue ?? []).compactMap(\.stringValue))
                sockets[Self.key(edge: edge, sid: sid)] = Socket(
                    edge: edge, sid: sid, ns: socket["ns"]?.stringValue ?? "/",
                    user: Self.user(of: socket), rooms: rooms)
            }
            return
        }
        guard let sid = header.sid ?? fact["sid"]?.stringValue else { return }
        let key = Self.key(edge: edge, sid: sid)
        switch header.event {
        case "connected":
            sockets[key] = Socket(edge: edge, sid: sid, ns: header.ns ?? fact["ns"]?.stringValue ?? "/",
                                  user: header.user?.id ?? Self.user(of: fact), rooms: [])
        case "disconnected":
            sockets[key] = nil
        case "joined":
            if let room = fact["room"]?.stringValue { sockets[key]?.rooms.insert(room) }
        case "left":
            if let room = fact["room"]?.stringValue { sockets[key]?.rooms.remove(room) }
        default:
            break
        }
    }

    private static func user(of fact: JSON) -> String? {
        if let id = fact["user"]?["id"] { return id.stringValue ?? id.intValue.map(String.init) }
        if let id = fact["userId"] { return id.stringValue ?? id.intValue.map(String.init) }
        return nil
    }

    /// Forgets the sockets of an edge that went silent.
    mutating func forget(edge: String) {
        sockets = sockets.filter { $0.value.edge != edge }
    }

    /// Sockets per edge.
    func countsByEdge() -> [String: Int] {
        sockets.values.reduce(into: [:]) { $0[$1.edge, default: 0] += 1 }
    }

    /// Sockets per edge and namespace.
    func countsByNamespace() -> [String: [String: Int]] {
        sockets.values.reduce(into: [:]) { $0[$1.edge, default: [:]][$1.ns, default: 0] += 1 }
    }

    /// The sockets of `user`, or in `room`, sorted by edge and sid.
    func lookup(user: String?, room: String?) -> [Socket] {
        sockets.values
            .filter { socket in
                (user == nil || socket.user == user) && (room == nil || socket.rooms.contains(room!))
            }
            .sorted { ($0.edge, $0.sid) < ($1.edge, $1.sid) }
    }
}
