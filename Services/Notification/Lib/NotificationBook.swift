import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization

/// Who is in which `user:` room, behind a lock, with the start-up rebuild (as presence's
/// `PresenceBook`: until every edge's snapshot is in, facts are held back per edge), and the
/// backlog replay that a socket joining `user:{id}` triggers.
public final class NotificationBook: Sendable {
    /// Runs a write that answers with instructions (``Context/write(_:)``,
    /// ``ServiceControl/write(_:)``, or a database's own).
    public typealias BacklogWrite = InstructionsWrite

    private struct State {
        var rooms = UserRooms()
        var rebuilding = true
        var snapshots: [String: EdgeSnapshot] = [:]
        var heldBack: [(edge: String, fact: RoomFact)] = []
    }

    private enum Action {
        case nothing
        case replay(SocketKey, UserRoom)
        case sweep([UserRoom])
    }

    private let state = Mutex(State())

    /// A book that is rebuilding (facts held back until ``finishRebuild(through:)``).
    public init() {}

    /// `true` while at least one socket is in `room`.
    public func isOccupied(_ room: UserRoom) -> Bool { state.withLock { $0.rooms.isOccupied(room) } }

    /// `true` when `socket` is in `room`.
    public func contains(_ socket: SocketKey, in room: UserRoom) -> Bool {
        state.withLock { $0.rooms.contains(socket, in: room) }
    }

    /// `true` until the start-up rebuild is done.
    public var isRebuilding: Bool { state.withLock { $0.rebuilding } }

    /// A life fact from `edge`: tracks the rooms; a socket joining `user:{id}` gets that user's
    /// backlog (oldest first), which is then marked delivered. A snapshot of an edge that comes
    /// back delivers the backlog of the rooms it occupies.
    /// `write` runs the delivery's write: the handler's ``Context/write(_:)``, so that it joins the
    /// runtime's batch transaction (a write of its own would wait for that transaction).
    public func observe(_ fact: RoomFact, edge: String, write: BacklogWrite) async throws -> [Instruction] {
        let action = state.withLock { state -> Action in
            if case .snapshot(let snapshot) = fact {
                guard !state.rebuilding else {
                    state.snapshots[snapshot.edge] = snapshot
                    state.heldBack.removeAll { $0.edge == snapshot.edge }
                    return .nothing
                }
                state.rooms.apply(snapshot)
                return .sweep(Array(Set(snapshot.sockets.flatMap(\.rooms))).sorted())
            }
            guard !state.rebuilding else {
                state.heldBack.append((edge, fact))
                return .nothing
            }
            state.rooms.apply(fact)
            if case .joined(let socket, let room) = fact { return .replay(socket, room) }
            return .nothing
        }
        switch action {
        case .nothing:
            return []
        case .replay(let socket, let room):
            return try await Self.deliverBacklog(of: [room], to: Audience(sids: [socket.sid]), write: write)
        case .sweep(let rooms):
            return try await Self.deliverBacklog(of: rooms.filter(isOccupied), to: nil, write: write)
        }
    }

    /// An edge went silent: its sockets are gone.
    public func edgeGone(_ edge: String) {
        state.withLock { $0.rooms.dropEdge(edge) }
    }

    /// Ends the rebuild: the rooms are what the snapshots say plus the facts that came after
    /// them; every occupied room's backlog is delivered to the room (a user who joined while
    /// the service was down), marked delivered in `write` (``ServiceControl/write(_:)``, whose
    /// instructions are a durable emit).
    public func finishRebuild(through write: BacklogWrite) async throws -> [Instruction] {
        let occupied = state.withLock { state -> [UserRoom] in
            state.rooms = UserRooms()
            for snapshot in state.snapshots.values { state.rooms.apply(snapshot) }
            for (_, fact) in state.heldBack { state.rooms.apply(fact) }
            state.heldBack = []
            state.rebuilding = false
            return state.rooms.occupiedRooms
        }
        return try await Self.deliverBacklog(of: occupied, to: nil, write: write)
    }

    /// Start-up: asks every edge for a snapshot (again each second) until all answered or
    /// `timeout`, then ``finishRebuild(through:)``, whose deliveries go out as a durable emit.
    func rebuild(_ control: ServiceControl, timeout: Duration) async throws {
        // One hello interval and a little: every live edge has said hello by then.
        try? await Task.sleep(for: .milliseconds(1200))
        let deadline = ContinuousClock.now + timeout
        var lastRequest: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let edges = Set(control.instances(of: "edge").map(\.instance))
            let answered = state.withLock { Set($0.snapshots.keys) }
            if edges.isSubset(of: answered) { break }
            if lastRequest.map({ ContinuousClock.now - $0 > .seconds(1) }) ?? true {
                lastRequest = .now
                control.publishEvent("resync", on: Topic.edge)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let instructions = try await finishRebuild(through: control.write)
        let (edges, sockets) = state.withLock { ($0.snapshots.count, $0.rooms.socketCount) }
        control.logger.info("rebuilt from the edges",
                            metadata: ["edges": "\(edges)", "sockets": "\(sockets)", "replayed": "\(instructions.count)"])
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
