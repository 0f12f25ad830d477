import Bus
import Contracts
import Foundation

/// The sockets of every edge as the console has seen them in life facts (`connected`,
/// `disconnected`, `joined`, `left`, and an edge's whole `snapshot` when some process asked for a
/// resync): what the rooms-and-sockets lookup and the connection plots read. Sockets that
/// connected before the console started come in the snapshot the console asks each edge for
/// when it first hears it (``BusWatcher``).
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

    /// Takes in one life fact (read with ``LifeRecord``, as services read it); a malformed one
    /// is skipped.
    mutating func take(_ envelope: Envelope) {
        guard let body = try? envelope.decodeBody(as: JSON.self),
              let record = try? LifeRecord(header: envelope.header, body: body)
        else { return }
        let edge = record.edge
        switch record.fact {
        case .snapshot(let list):
            sockets = sockets.filter { $0.value.edge != edge }
            for socket in list {
                sockets[Self.key(edge: edge, sid: socket.sid)] = Socket(
                    edge: edge, sid: socket.sid, ns: socket.ns, user: socket.user?.id, rooms: Set(socket.rooms))
            }
        case .connected(let fact):
            sockets[Self.key(edge: edge, sid: fact.sid)] = Socket(edge: edge, sid: fact.sid, ns: fact.ns,
                                                                  user: fact.user?.id, rooms: [])
        case .disconnected(let fact):
            sockets[Self.key(edge: edge, sid: fact.sid)] = nil
        case .joined(let change):
            sockets[Self.key(edge: edge, sid: change.sid)]?.rooms.insert(change.room)
        case .left(let change):
            sockets[Self.key(edge: edge, sid: change.sid)]?.rooms.remove(change.room)
        }
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
