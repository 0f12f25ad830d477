import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization

/// Who is in which `user:` room, behind a lock, kept from the socket changes of ServiceKit's
/// mirror of the edges, and the backlog replay that a socket joining `user:{id}` triggers.
public final class NotificationBook: Sendable {
    /// Runs a write that answers with instructions (``Context/write(_:)``,
    /// ``ServiceControl/write(_:)``, or a database's own).
    public typealias BacklogWrite = InstructionsWrite

    private let rooms = Mutex(UserRooms())

    /// A book that knows no socket yet.
    public init() {}

    /// `true` while at least one socket is in `room`.
    public func isOccupied(_ room: UserRoom) -> Bool { rooms.withLock { $0.isOccupied(room) } }

    /// `true` when `socket` is in `room`.
    public func contains(_ socket: SocketKey, in room: UserRoom) -> Bool {
        rooms.withLock { $0.contains(socket, in: room) }
    }

    /// Socket changes from the mirror: tracks the `user:` rooms. The sockets that joined a
    /// `user:` room get that user's backlog (oldest first), which is then marked delivered; at
    /// start (the initial state) every occupied room gets its backlog (a user who came while
    /// the service was down). `write` runs the delivery's write: the handler's
    /// ``Context/write(_:)``, so that it joins the runtime's batch transaction and its emits are
    /// durable.
    public func apply(_ update: SocketUpdate, write: BacklogWrite) async throws -> [Instruction] {
        let joiners = rooms.withLock { rooms -> [UserRoom: [String]] in
            var joiners: [UserRoom: [String]] = [:]
            for change in update.changes {
                let key = SocketKey(edge: change.ref.edge, sid: change.ref.sid)
                switch change {
                case .connected:
                    break
                case .disconnected:
                    rooms.drop(key)
                case .joined(_, let socket, let room):
                    guard let room = UserRoom(ns: socket.ns, room: room), rooms.join(key, room) else { continue }
                    joiners[room, default: []].append(key.sid)
                case .left(_, let socket, let room):
                    guard let room = UserRoom(ns: socket.ns, room: room) else { continue }
                    rooms.leave(key, room)
                    joiners[room]?.removeAll { $0 == key.sid }
                }
            }
            return joiners.filter { !$0.value.isEmpty && rooms.isOccupied($0.key) }
        }
        if update.isInitial { return try await Self.deliverBacklog(of: joiners.keys.sorted(), to: nil, write: write) }
        var instructions: [Instruction] = []
        for room in joiners.keys.sorted() {
            instructions += try await Self.deliverBacklog(of: [room], to: Audience(sids: joiners[room] ?? []), write: write)
        }
        return instructions
    }

    /// Takes the backlog of each room and emits it, in order, to `audience` (or the room itself).
    static func deliverBacklog(of rooms: [UserRoom], to audience: Audience?,
                               write: BacklogWrite) async throws -> [Instruction] {
        guard !rooms.isEmpty else { return [] }
        let now = Clock.millisecondsSinceEpoch()
        return try await write { db in
            var instructions: [Instruction] = []
            for room in rooms {
                for notification in try NotificationStore.takeBacklog(db, ns: room.ns, recipient: room.user, now: now) {
                    instructions += notification.deliveries.map { delivery in
                        .emit(Emit(ns: room.ns, event: delivery.event, args: delivery.args,
                                   to: audience ?? Audience(rooms: [room.name])))
                    }
                }
            }
            return instructions
        }
    }
}
