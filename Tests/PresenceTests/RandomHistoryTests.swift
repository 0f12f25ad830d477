import Contracts
import Presence
import Testing

/// Long random histories of facts and events, checked against a plain model of the sockets
/// and against what clients that only listen to the emits would believe.
@Suite struct RandomHistoryTests {
    /// A small deterministic generator (SplitMix64), so that a failure can be replayed.
    struct Generator: RandomNumberGenerator {
        /// The generator's state.
        var state: UInt64

        /// The next 64 random bits.
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var value = state
            value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
            value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
            return value ^ (value >> 31)
        }
    }

    /// One socket of the model: its identity, the user it announced, and its rooms.
    struct ModelSocket {
        /// Authenticated user id, if any.
        var identity: String?
        /// The user announced with `addOnlineUser`, if any.
        var announced: String?
        /// Rooms other than markers.
        var rooms: Set<String> = []
    }

    /// What listening clients believe: the online set and each server room's last update.
    struct Listener {
        /// Users announced by `newOnlineUser`.
        var online: Set<String> = []
        /// The last `onlineUserIds` sent about each server room (to the room, or to a newcomer).
        var servers: [String: [JSON]] = [:]

        /// Applies the emits of `instructions`.
        mutating func hear(_ instructions: [Instruction]) {
            for case .emit(let emit) in instructions {
                if emit.event == "newOnlineUser", let user = emit.args[0]["userID"]?.stringValue {
                    if emit.args[0]["type"] == "Add" { online.insert(user) } else { online.remove(user) }
                }
                if emit.event == "presence:update", let server = emit.args[0]["serverId"]?.intValue {
                    servers["server:\(server)"] = emit.args[0]["onlineUserIds"]?.arrayValue
                }
            }
        }
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func theEmitsKeepListenersRight(seed: UInt64) throws {
        var random = Generator(state: seed)
        var state = PresenceState()
        var model: [SocketKey: ModelSocket] = [:]
        var listener = Listener()
        let edges = [edgeA, edgeB], users = ["1", "2", "3", "10"], rooms = ["server:1", "server:2", "r1", "r2"]
        for step in 0..<400 {
            let key = SocketKey(edge: edges.randomElement(using: &random)!, sid: "s\(Int.random(in: 0..<6, using: &random))")
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<20 where model[key] == nil:
                let identity = Bool.random(using: &random) ? users.randomElement(using: &random) : nil
                model[key] = ModelSocket(identity: identity)
                listener.hear(try state.connect(key.sid, user: identity, edge: key.edge))
            case 20..<30 where model[key] != nil:
                let rooms = model.removeValue(forKey: key)!.rooms
                listener.hear(try state.disconnect(key.sid, edge: key.edge, rooms: Array(rooms)))
            case 30..<55 where model[key] != nil:
                let room = rooms.randomElement(using: &random)!
                model[key]!.rooms.insert(room)
                listener.hear(try state.join(key.sid, room, edge: key.edge))
            case 55..<70 where model[key] != nil:
                let room = rooms.randomElement(using: &random)!
                model[key]!.rooms.remove(room)
                listener.hear(try state.leave(key.sid, room, edge: key.edge))
            case 70..<82 where model[key] != nil:
                let user = model[key]!.identity ?? users.randomElement(using: &random)!
                model[key]!.announced = user
                listener.hear(state.addOnlineUser(.string(user), sid: key.sid, edge: key.edge,
                                                  identity: model[key]!.identity).instructions)
            case 82..<85:
                model = model.filter { $0.key.edge != key.edge }
                listener.hear(state.edgeGone(key.edge))
            case 85..<90:
                let sockets = model.filter { $0.key.edge == key.edge }.sorted { $0.key < $1.key }.map { entry in
                    Snapshot.Socket(sid: entry.key.sid, ns: "/", user: entry.value.identity.map { Identity(id: $0) },
                                    rooms: entry.value.rooms.sorted() + (entry.value.announced.map { ["presence:online:\($0)"] } ?? []))
                }
                #expect(state.applySnapshot(Snapshot(edge: key.edge, sockets: sockets)) == [], "step \(step)")
            default:
                continue
            }
            check(state, model, listener, step: step)
        }
    }

    /// Compares the state with the model, and the listener with both.
    func check(_ state: PresenceState, _ model: [SocketKey: ModelSocket], _ listener: Listener, step: Int) {
        let owner = { (socket: ModelSocket) in socket.identity ?? socket.announced }
        let online = Set(model.values.compactMap(owner))
        #expect(Set(state.onlineUsers) == online, "step \(step)")
        let announced = Set(model.values.compactMap(\.announced))
        #expect(Set(state.announcedUsers(in: "/")) == announced, "step \(step)")
        #expect(listener.online == announced, "step \(step)")
        for server in ["1", "2"] {
            let members = model.values.filter { $0.rooms.contains("server:\(server)") }
            let users = Set(members.compactMap(owner))
            #expect(Set(state.serverOnline(server, in: "/")) == users, "step \(step)")
            guard !members.isEmpty else { continue }
            #expect(listener.servers["server:\(server)", default: []] == state.serverOnline(server, in: "/").map { .int(Int64($0)!) }, "step \(step)")
        }
    }
}
