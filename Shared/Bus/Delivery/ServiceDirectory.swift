import Contracts

/// What a process has heard in `hello` messages: which instances are alive, which service
/// handles which `(namespace, event)`. A value type: every method takes the time explicitly
/// (milliseconds on a monotonic clock), so tests drive it with plain numbers.
public struct ServiceDirectory: Sendable {
    /// One instance as last heard.
    public struct Instance: Sendable, Equatable {
        /// Its latest hello.
        public var hello: Hello
        /// When that hello arrived.
        public var lastHeard: Int64
    }

    /// What a hello changed.
    public enum Change: Sendable, Equatable {
        /// A ready instance not heard before: events pending for `service` should be published again.
        case newInstance(service: String, instance: String)
        /// A known instance, or one still probing (`ready: false`): nothing to do.
        case unchanged
    }

    /// Hellos missed before an instance counts as gone. Default 3.
    public var missedHellosBeforeGone = 3
    /// Live instances by instance id.
    public private(set) var instances: [String: Instance] = [:]
    /// Every route ever announced by a ready instance, with its service. Kept after the
    /// instance is gone, so that events wait for a restart instead of being refused.
    public private(set) var routes: [Route: String] = [:]

    /// An empty directory.
    public init() {}

    /// Records a hello heard at `now`.
    public mutating func heard(_ hello: Hello, at now: Int64) -> Change {
        guard hello.ready else { return .unchanged }
        let known = instances[hello.instance] != nil
        instances[hello.instance] = Instance(hello: hello, lastHeard: now)
        for route in hello.handles { routes[route] = hello.service }
        return known ? .unchanged : .newInstance(service: hello.service, instance: hello.instance)
    }

    /// The service that announced `route`, if any ever did.
    public func service(for route: Route) -> String? { routes[route] }

    /// `true` when at least one live instance of `service` is known.
    public func isAvailable(_ service: String) -> Bool {
        instances.values.contains { $0.hello.service == service }
    }

    /// The topics whose every receiver reads bundles (docs/bus-protocol.md §3): `svc.<service>`
    /// when every live instance of it said `bundles` in its hello, `edge` when every live edge
    /// did, `life` when every live instance that wants life facts did (each with at least one
    /// such instance), and `edge.<instance>` or `inbox.<instance>` of each live instance that did.
    public var bundleTopics: Set<String> {
        var everyInstanceReads: [String: Bool] = [:]
        var lifeReaders: Bool?
        var topics: Set<String> = []
        for instance in instances.values {
            let hello = instance.hello
            let reads = hello.bundles == true
            everyInstanceReads[hello.service] = (everyInstanceReads[hello.service] ?? true) && reads
            if !hello.life.isEmpty { lifeReaders = (lifeReaders ?? true) && reads }
            if reads {
                topics.insert(hello.service == "edge" ? Topic.edge(hello.instance) : Topic.inbox(hello.instance))
            }
        }
        for (service, reads) in everyInstanceReads where reads {
            topics.insert(service == "edge" ? Topic.edge : Topic.service(service))
        }
        if lifeReaders == true { topics.insert(Topic.life) }
        return topics
    }

    /// Removes and returns instances that missed ``missedHellosBeforeGone`` hellos by `now`.
    public mutating func expire(at now: Int64) -> [Instance] {
        let gone = instances.values.filter { instance in
            now - instance.lastHeard > Int64(instance.hello.interval * missedHellosBeforeGone)
        }
        for instance in gone { instances[instance.hello.instance] = nil }
        return gone
    }
}
