import Contracts

/// A change to the sockets the edges hold, as a service's mirror hands it on: the socket and
/// its state (after a `connected`, `joined` or `left`; before a `disconnected`).
public enum SocketChange: Sendable, Equatable {
    /// A socket appeared (its rooms follow as `joined`).
    case connected(SocketRef, LifeSocket)
    /// A socket went, with the rooms it was in.
    case disconnected(SocketRef, LifeSocket)
    /// A socket joined `room`.
    case joined(SocketRef, LifeSocket, room: String)
    /// A socket left `room`.
    case left(SocketRef, LifeSocket, room: String)

    /// The socket changed.
    public var ref: SocketRef {
        switch self {
        case .connected(let ref, _), .disconnected(let ref, _), .joined(let ref, _, _), .left(let ref, _, _): ref
        }
    }

    /// Its state (before a `disconnected`, after the others).
    public var socket: LifeSocket {
        switch self {
        case .connected(_, let socket), .disconnected(_, let socket), .joined(_, let socket, _),
             .left(_, let socket, _): socket
        }
    }
}

/// Why the mirror hands changes on.
public enum SocketCause: Sendable, Equatable {
    /// The end of the start: every socket known, built from nothing.
    case start
    /// A live fact of an edge's stream.
    case fact
    /// An edge rebuilt from its snapshot (after a gap, a new epoch, or its return from gone):
    /// the difference to what was known.
    case rebuild
    /// An edge declared gone (three hellos missed): its sockets go.
    case gone
}

/// A service's copy of every edge's sockets, kept from their numbered life facts
/// (docs/architecture.md, "Socket state"), as a value: each method takes what the bus brought
/// and returns a ``Step``, the socket changes to apply as one unit and the edges to ask for a
/// snapshot. ServiceKit drives it (``ServiceDefinition/mirrorSockets(_:)``); tests call it.
///
/// Per edge it keeps that edge's sockets and the stamp of the last fact applied. A fact that
/// is the next of its edge's stream is applied; a repeat is dropped; a gap, a new epoch, an
/// edge heard of for the first time in the middle of its stream, or an edge declared gone that
/// speaks again starts a **rebuild**: the edge is asked for a snapshot, its facts are held back,
/// and when a snapshot arrives that the held facts continue without a gap, the edge's part is
/// replaced by the snapshot plus those facts, and only the difference to what was there before
/// is handed on (a socket in both gives no change). A hello carries its edge's last number, so
/// a lost fact is noticed within a hello interval even when no fact follows it.
///
/// Until ``finishStart()`` it hands nothing on: it collects the edges' snapshots, then hands on
/// everything at once as the initial state (``Step/isInitial``).
public struct EdgeMirror: Sendable {
    /// How often a snapshot is asked for again and how much is held back.
    public struct Configuration: Sendable {
        /// Milliseconds before an edge whose snapshot has not come is asked again (on its next
        /// hello): a request lost while the bus came back (sent before the edge subscribed again)
        /// costs at most this and a hello interval. Default 500.
        public var requestIntervalMilliseconds: Int64 = 500
        /// Facts held back per rebuilding edge before the oldest are dropped (a later snapshot
        /// covers them). Default 100,000.
        public var maxHeld = 100_000

        /// The defaults.
        public init() {}
    }

    /// What one input means for the service.
    public struct Step: Sendable, Equatable {
        /// The changes, to apply as one unit (a rebuilt edge's difference comes whole).
        public var changes: [SocketChange] = []
        /// The edges to ask for a snapshot now (a `resync` event naming them).
        public var requests: [String] = []
        /// Why the changes came.
        public var cause = SocketCause.fact
        /// For a start or a rebuild: the socket ids of each edge the step describes in full, as
        /// they are after it.
        public var parts: [String: Set<String>] = [:]

        /// A step from its parts.
        public init(changes: [SocketChange] = [], requests: [String] = [], cause: SocketCause = .fact,
                    parts: [String: Set<String>] = [:])
        {
            self.changes = changes
            self.requests = requests
            self.cause = cause
            self.parts = parts
        }

        /// `true` for the initial state ``EdgeMirror/finishStart()`` hands on.
        public var isInitial: Bool { cause == .start }
    }

    /// Where one edge's part stands.
    enum Phase: Sendable, Equatable {
        /// Up to date with the edge's stream up to ``Part/stamp``.
        case live
        /// Waiting for a snapshot (asked at `asked`, milliseconds), holding the facts that come.
        case rebuilding(asked: Int64, held: [LifeRecord])
        /// Declared gone (missed three hellos): its sockets were dropped.
        case gone
    }

    /// One edge's sockets and stream position.
    struct Part: Sendable, Equatable {
        var phase: Phase
        var stamp = LifeStamp(epoch: 0, seq: 0)
        var sockets: [String: LifeSocket] = [:]
    }

    /// The settings in force.
    public let configuration: Configuration
    /// Every edge heard of, by instance id.
    var parts: [String: Part] = [:]
    /// `true` until ``finishStart()``.
    public private(set) var isStarting: Bool

    /// An empty mirror; `starting` (the default) holds everything back until ``finishStart()``.
    public init(configuration: Configuration = Configuration(), starting: Bool = true) {
        self.configuration = configuration
        isStarting = starting
    }

    /// The edges whose snapshot is awaited.
    public var awaiting: [String] {
        parts.filter { if case .rebuilding = $0.value.phase { true } else { false } }.keys.sorted()
    }

    /// The sockets of `edge` as the mirror has them.
    public func sockets(of edge: String) -> [LifeSocket] {
        (parts[edge]?.sockets.values).map { $0.sorted { $0.sid < $1.sid } } ?? []
    }

    /// Every socket of every edge, as changes that build them from nothing.
    var everything: [SocketChange] {
        parts.keys.sorted().flatMap { edge in
            Self.difference(edge: edge, from: [:], to: parts[edge]?.sockets ?? [:])
        }
    }

    /// Ends the start: hands on every socket known as the initial state; edges still awaited
    /// are rebuilt when their snapshot comes, as changes.
    public mutating func finishStart() -> Step {
        guard isStarting else { return Step() }
        isStarting = false
        let live = parts.filter { $0.value.phase == .live }.mapValues { Set($0.sockets.keys) }
        return Step(changes: everything, cause: .start, parts: live)
    }

    /// A step whose changes are dropped while starting.
    func step(_ changes: [SocketChange], cause: SocketCause = .fact, parts: [String: Set<String>] = [:]) -> Step {
        isStarting ? Step() : Step(changes: changes, cause: cause, parts: parts)
    }
}

extension EdgeMirror {
    /// The changes that turn `old` sockets of `edge` into `new` ones, as few as there are: new
    /// sockets first (each `connected`, then a `joined` per room), then the rooms kept sockets
    /// joined and left, then the sockets that went (`disconnected`, with their rooms), so that a
    /// user who moved from one socket to another never seems to have none. A socket whose
    /// namespace or user changed goes and comes back.
    public static func difference(edge: String, from old: [String: LifeSocket], to new: [String: LifeSocket])
        -> [SocketChange]
    {
        var arrivals: [SocketChange] = []
        var moves: [SocketChange] = []
        var departures: [SocketChange] = []
        func arrive(_ socket: LifeSocket, _ ref: SocketRef) {
            var growing = LifeSocket(sid: socket.sid, ns: socket.ns, user: socket.user)
            arrivals.append(.connected(ref, growing))
            for room in socket.rooms {
                growing.rooms.append(room)
                arrivals.append(.joined(ref, growing, room: room))
            }
        }
        for sid in Set(old.keys).union(new.keys).sorted() {
            let ref = SocketRef(edge: edge, sid: sid)
            switch (old[sid], new[sid]) {
            case (nil, let socket?):
                arrive(socket, ref)
            case (let socket?, nil):
                departures.append(.disconnected(ref, socket))
            case (let before?, let after?) where before.ns != after.ns || before.user != after.user:
                moves.append(.disconnected(ref, before))
                var growing = LifeSocket(sid: sid, ns: after.ns, user: after.user)
                moves.append(.connected(ref, growing))
                for room in after.rooms {
                    growing.rooms.append(room)
                    moves.append(.joined(ref, growing, room: room))
                }
            case (var socket?, let after?):
                for room in socket.rooms where !after.rooms.contains(room) {
                    socket.rooms.removeAll { $0 == room }
                    moves.append(.left(ref, socket, room: room))
                }
                for room in after.rooms where !socket.rooms.contains(room) {
                    socket.rooms = (socket.rooms + [room]).sorted()
                    moves.append(.joined(ref, socket, room: room))
                }
            case (nil, nil):
                break
            }
        }
        return arrivals + moves + departures
    }
}
