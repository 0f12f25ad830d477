import Contracts
import Foundation
import Logging
import Synchronization

/// A process's client of the bus, ready to use: one owner for what every publisher needs.
///
/// - the ``BusConnection`` (opened by ``init(configuration:logger:)``), with the topics of
///   ``Configuration/subscriptions``, then `inbox.<instance>` (unless
///   ``Configuration/usesInbox`` is off), then `hello` last, so that hearing a hello means the
///   other subscriptions are live too (docs/bus-protocol.md §9);
/// - the delivery rules (a ``DeliveryClient``: routes from hellos, the pending table, re-publishing
///   for a new instance, retries, the time bound);
/// - the hello pump: with an ``Announcement`` it probes every 100 ms until it hears itself, then
///   says hello every interval; with or without one, it forgets instances that went silent;
/// - the delivery clock, which ticks every 50 ms while events wait for replies and sleeps
///   otherwise, so an idle client costs no wake-ups.
///
/// ``run(_:)`` drives it (until cancelled or ``shutdown()``); ``send(_:route:completion:)``,
/// ``request(_:service:)`` and ``publish(_:)-(Envelope)`` may be called from any thread or task.
/// Replies on the inbox, and replies that end an event the client waits for, are the client's own
/// (the latter go to that event's completion); every other received message goes to the owner's
/// ``Handlers/messages``.
public final class BusClient: Sendable {
    /// Who the client is, where the bus is and how it behaves.
    public struct Configuration: Sendable {
        /// The instance id: `from` of what the client says, and its inbox `inbox.<instance>`.
        public var instance: String
        /// Where the bus is and how the sockets behave. Default: ``BusConnection/Configuration``'s.
        public var bus = BusConnection.Configuration()
        /// The delivery rules' bounds. Default: retry after 1 s (then doubling), fail after
        /// 10 s, at most 10,000 events waiting.
        public var delivery = PendingTable<DeliveryClient.Completion>.Configuration()
        /// Topics the owner wants besides `hello` and the inbox, e.g. `svc.chat` or `edge`.
        /// Default none.
        public var subscriptions: [Subscription] = []
        /// Whether replies come back on `inbox.<instance>` (subscribed and taken by the client).
        /// Default `true`; an edge, whose replies come on `edge.<instance>` or `edge`, turns it off.
        public var usesInbox = true
        /// What the client says in hello; `nil` (the default) says nothing, only listens.
        public var announcement: Announcement? = nil
        /// Milliseconds between two ready hellos, and between two looks for instances gone
        /// silent. Default 1000 (`HELLO_INTERVAL_MS` for services).
        public var helloIntervalMilliseconds = 1000
        /// Milliseconds between two probing hellos (`ready: false`). Default 100.
        public var probeIntervalMilliseconds = 100
        /// Milliseconds between two steps of the delivery clock while events wait. Default 50.
        public var tickMilliseconds = 50

        /// The defaults, for instance `instance`.
        public init(instance: String) {
            self.instance = instance
        }
    }

    /// What a client that announces itself says in its hellos.
    public struct Announcement: Sendable {
        /// The service name, e.g. `chat`, or `edge`.
        public var service: String
        /// The `(namespace, event)` pairs it answers. Default none.
        public var handles: [Route] = []
        /// The life fact kinds it wants. Default none.
        public var life: [LifeFactKind] = []
        /// What clients get when its events fail (the hello's `failures`). Default none.
        public var failures: [FailureShape] = []
        /// Whether it keeps probing after it heard itself until ``BusClient/announceReady()``
        /// (a start-up step). Default `false`: the first ready hello goes out as soon as the
        /// client hears itself.
        public var waitsForStartUp = false
        /// An edge's position in its stream of life facts, read for every hello (its
        /// `lifeStream`). Default none.
        public var lifeStream: (@Sendable () -> LifeStamp)? = nil

        /// An announcement of `service` with the defaults above.
        public init(service: String) {
            self.service = service
        }
    }

    /// What the owner is given while ``run(_:)`` runs.
    public struct Handlers: Sendable {
        /// Every received message that is neither a reply on the inbox nor the reply to an event
        /// the client waits for, one wake-up's batch at a time, in arrival order (hellos included,
        /// after the client noted them). Default: dropped.
        public var messages: @Sendable ([Envelope]) -> Void
        /// The first ready hello of an instance not known as live. Default: nothing.
        public var newInstance: @Sendable (Hello) -> Void
        /// Instances that missed three of their hellos, each time some do. Default: nothing.
        public var gone: @Sendable ([ServiceDirectory.Instance]) async -> Void
        /// Every publication of ``BusClient/publishMarked(_:)`` with a mark up to this one reached
        /// the bus (a hello published after them came back). Default: nothing.
        public var reached: @Sendable (UInt64) -> Void

        /// The handlers given; the others do nothing.
        public init(messages: @escaping @Sendable ([Envelope]) -> Void = { _ in },
                    newInstance: @escaping @Sendable (Hello) -> Void = { _ in },
                    gone: @escaping @Sendable ([ServiceDirectory.Instance]) async -> Void = { _ in },
                    reached: @escaping @Sendable (UInt64) -> Void = { _ in })
        {
            self.messages = messages
            self.newInstance = newInstance
            self.gone = gone
            self.reached = reached
        }
    }

    struct State {
        /// Heard a hello: our own when announcing, anyone's otherwise.
        var ready = false
        /// Says `ready: true` in its hellos.
        var announced = false
    }

    /// The configuration in force.
    public let configuration: Configuration
    /// The connection, for publishing and its statistics; its messages are the client's to read.
    public let connection: BusConnection
    let delivery: DeliveryClient
    let logger: Logger
    let state = Mutex(State())
    /// The marks of publications and of the hellos that will say they reached the bus.
    let marks = Mutex(Marks())
    /// Milliseconds since the epoch when the client was made: the hello's `started`.
    let started = Clock.millisecondsSinceEpoch()
    /// Set by the clock before it sleeps for lack of waiting events; a send that finds it set
    /// rings ``bell``.
    let clockIdle = Atomic<Bool>(false)
    let bell: AsyncStream<Void>
    let ringBell: AsyncStream<Void>.Continuation

    /// Opens the connection and subscribes (subscriptions, inbox, hello). Nothing is said on the
    /// bus before ``run(_:)``.
    public init(configuration: Configuration, logger: Logger) throws(ZMQError) {
        self.configuration = configuration
        self.logger = logger
        connection = try BusConnection(configuration: configuration.bus, logger: logger)
        delivery = DeliveryClient(connection: connection, configuration: configuration.delivery, logger: logger)
        (bell, ringBell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        configuration.subscriptions.forEach(connection.subscribe)
        if let inbox { connection.subscribe(.exact(inbox)) }
        connection.subscribe(.exact(Topic.hello))
    }

    /// This client's instance id.
    public var instance: String { configuration.instance }

    /// `inbox.<instance>`, where replies to this client's events come back; `nil` without an inbox.
    public var inbox: String? { configuration.usesInbox ? Topic.inbox(instance) : nil }

    /// `true` once a hello came back through the bus: the client's own when it announces
    /// itself (§9's readiness), anyone's otherwise. The subscriptions are live from then on.
    public var isReady: Bool { state.withLock { $0.ready } }

    /// `true` once the client says `ready: true` in its hellos.
    public var isAnnounced: Bool { state.withLock { $0.announced } }

    /// What the hellos heard so far announced (live instances, routes).
    public var directory: ServiceDirectory { delivery.directory }

    /// Events waiting for a reply now.
    public var pendingCount: Int { delivery.pendingCount }

    /// Queues `envelope` for publishing. Never blocks.
    public func publish(_ envelope: Envelope) {
        connection.publish(envelope)
    }

    /// Queues `envelopes` for publishing, in order, in one hand-off to the bus thread.
    public func publish(_ envelopes: [Envelope]) {
        connection.publish(envelopes)
    }

    /// Publishes an event for whichever service announced `route`; `completion` gets its reply or
    /// its failure, exactly once (an unannounced route fails at once with `unknownEvent`).
    public func send(_ event: Envelope, route: Route, completion: @escaping DeliveryClient.Completion) {
        delivery.send(event, route: route, completion: completion)
        wakeClock()
    }

    /// Publishes an event to `svc.<service>`; `completion` gets its reply or failure, once.
    public func send(_ event: Envelope, service: String, completion: @escaping DeliveryClient.Completion) {
        delivery.send(event, service: service, completion: completion)
        wakeClock()
    }

    /// Publishes an event for whichever service announced `route` and waits for its reply.
    public func request(_ event: Envelope, route: Route) async throws(DeliveryFailure) -> Envelope {
        let result = await withCheckedContinuation { waiter in
            send(event, route: route) { waiter.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Publishes an event to `svc.<service>` and waits for its reply.
    public func request(_ event: Envelope, service: String) async throws(DeliveryFailure) -> Envelope {
        let result = await withCheckedContinuation { waiter in
            send(event, service: service) { waiter.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Ends the start-up step of an ``Announcement/waitsForStartUp`` client: says a ready hello at
    /// once and every interval from then on. Does nothing when already announced.
    public func announceReady() {
        let first = state.withLock { state in
            defer { state.announced = true }
            return !state.announced
        }
        if first, let hello = helloEnvelope(ready: true) { publishHello(hello) }
    }

    /// Waits until ``isReady``, at most `timeout`; returns whether it is.
    public func waitUntilReady(timeout: Duration) async -> Bool {
        await waitUntil(timeout: timeout) { $0.isReady }
    }

    /// Waits until some hello announced `route`, at most `timeout`; returns its service.
    public func waitForRoute(_ route: Route, timeout: Duration) async -> String? {
        _ = await waitUntil(timeout: timeout) { $0.directory.service(for: route) != nil }
        return directory.service(for: route)
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes (or the task is
    /// cancelled); returns whether it held.
    public func waitUntil(timeout: Duration, _ condition: (BusClient) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(self) {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Fails every waiting event with `closed` and refuses new ones, then closes the connection
    /// (what is queued gets the linger time); ``run(_:)`` returns.
    public func shutdown() async {
        delivery.close()
        await connection.close()
    }

    /// The hello this client says now, or `nil` when it announces nothing.
    func helloEnvelope(ready: Bool) -> Envelope? {
        guard let announcement = configuration.announcement else { return nil }
        var hello = Hello(service: announcement.service, instance: instance, started: started, ready: ready,
                          handles: announcement.handles, life: announcement.life,
                          interval: configuration.helloIntervalMilliseconds,
                          lifeStream: announcement.lifeStream?())
        hello.failures = announcement.failures.isEmpty ? nil : announcement.failures
        hello.bundles = true
        return try? Envelope(topic: Topic.hello, header: BusHeader(type: .hello, from: instance), encoding: hello)
    }
}
