import Bus
import Contracts
import Foundation

extension ConsoleState {
    /// Every instance heard, as the page's services table shows it: service, instance, ready,
    /// uptime, handles, hello age, whether it is alive (heard within three hello intervals, the
    /// bus's own rule), its service's last restart, and an edge's sockets per namespace.
    /// Instances silent for a minute are forgotten (an edge's sockets with it).
    public func instancesJSON(now: Int64 = Clock.millisecondsSinceEpoch()) -> JSON {
        inner.withLock { state in
            for (id, instance) in state.instances where now - instance.lastHeard > 60_000 {
                state.instances[id] = nil
                if instance.hello.service == "edge" { state.sockets.forget(edge: id) }
            }
            let namespaces = state.sockets.countsByNamespace()
            let rows = state.instances.values.sorted {
                ($0.hello.service, $0.hello.started) < ($1.hello.service, $1.hello.started)
            }
            return .array(rows.map { instance in
                let hello = instance.hello
                let age = now - instance.lastHeard
                var object: [String: JSON] = [
                    "service": .string(hello.service), "instance": .string(hello.instance),
                    "ready": .bool(hello.ready), "started": .int(hello.started),
                    "uptimeMs": .int(now - hello.started), "helloAgeMs": .int(age),
                    "alive": .bool(age <= Int64(hello.interval * 3)),
                    "handles": .array(hello.handles.map { .string($0.description) }),
                    "life": .array(hello.life.map { .string($0.rawValue) }),
                ]
                object["lastRestart"] = state.lastRestart[hello.service].map(JSON.int)
                if hello.service == "edge" {
                    object["sockets"] = .object((namespaces[hello.instance] ?? [:]).mapValues { .int(Int64($0)) })
                }
                return .object(object)
            })
        }
    }

    /// The plots' history, oldest first (one object per second, ``SecondFigures``).
    public func historyJSON(last count: Int? = nil) -> JSON {
        inner.withLock { state in .array(count.map { Array(state.history.suffix($0)) } ?? state.history) }
    }

    /// Messages received since the start.
    public var receivedCount: Int { inner.withLock { $0.received } }

    /// The sockets of `user`, or in `room` (both: the user's sockets in that room), as
    /// `{sockets: [{edge, sid, ns, user, rooms}], known: N}`.
    public func lookupJSON(user: String?, room: String?) -> JSON {
        inner.withLock { state in
            let found = state.sockets.lookup(user: user, room: room)
            return .object([
                "sockets": .array(found.map { socket in
                    .object([
                        "edge": .string(socket.edge), "sid": .string(socket.sid), "ns": .string(socket.ns),
                        "user": socket.user.map(JSON.string) ?? .null,
                        "rooms": .array(socket.rooms.sorted().map(JSON.string)),
                    ])
                }),
                "known": .int(Int64(state.sockets.countsByEdge().values.reduce(0, +))),
            ])
        }
    }
}
