import Contracts
import Foundation
import Logging
import Synchronization

/// The publishing side of the delivery rules, ready to use: routes events by what `hello`s
/// announced, keeps them in a ``PendingTable`` until their reply, publishes them again when
/// a service restarts or the retry interval passes, and fails them past the bounds.
///
/// Its owner, ``BusClient``, feeds it every `hello` and every reply it receives
/// (``receive(_:)``), calls ``tick()`` while events wait and ``expireSilentInstances()`` with
/// each hello it says. Callers use ``send(_:route:completion:)`` from an event loop, or
/// ``request(_:service:)`` from async code.
public final class DeliveryClient: Sendable {
    /// How a waiting event ends.
    public typealias Completion = @Sendable (Result<Envelope, DeliveryFailure>) -> Void

    private struct State {
        var directory = ServiceDirectory()
        var pending: PendingTable<Completion>
        var closed = false
    }

    private let connection: BusConnection
    private let state: Mutex<State>
    private let logger: Logger
    private let start = ContinuousClock.now

    /// A client publishing through `connection` with the bounds of `configuration`.
    public init(connection: BusConnection, configuration: PendingTable<Completion>.Configuration = .init(),
                logger: Logger)
    {
        self.connection = connection
        self.logger = logger
        state = Mutex(State(pending: PendingTable(configuration: configuration)))
    }

    /// Milliseconds on the client's monotonic clock.
    private var now: Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// The directory as heard so far.
    public var directory: ServiceDirectory { state.withLock { $0.directory } }

    /// Events waiting for a reply now.
    public var pendingCount: Int { state.withLock { $0.pending.count } }

    /// Publishes an event for whichever service announced `route`; `completion` gets its reply
    /// or its failure, exactly once. An unannounced route fails at once with `unknownEvent`.
    public func send(_ event: Envelope, route: Route, completion: @escaping Completion) {
        guard let service = state.withLock({ $0.directory.service(for: route) }) else {
            completion(.failure(.unknownEvent(route)))
            return
        }
        send(event, service: service, completion: completion)
    }

    /// Publishes an event to `svc.<service>`; `completion` gets its reply or failure, once.
    public func send(_ event: Envelope, service: String, completion: @escaping Completion) {
        var event = event
        event.topic = Topic.service(service)
        let failure = state.withLock { state -> DeliveryFailure? in
            if state.closed { return .closed }
            return state.pending.add(event, service: service, token: completion, at: now)
        }
        if let failure {
            completion(.failure(failure))
        } else {
            connection.publish(event)
        }
    }

    /// Publishes an event to `svc.<service>` and waits for its reply.
    public func request(_ event: Envelope, service: String) async throws(DeliveryFailure) -> Envelope {
        let result = await withCheckedContinuation { (waiter: CheckedContinuation<Result<Envelope, DeliveryFailure>, Never>) in
            send(event, service: service) { waiter.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Records a hello in the directory; when it is the first ready hello of an instance, every
    /// event waiting for its service is published again, and the connection learns which topics
    /// it may bundle now (as it does when instances go silent). Returns what the hello changed.
    @discardableResult
    public func heard(_ hello: Hello) -> ServiceDirectory.Change {
        let (change, again) = state.withLock { state -> (ServiceDirectory.Change, [Envelope]) in
            // An instance restarted under the same id may read bundles no longer (or now).
            let readBundles = state.directory.instances[hello.instance]?.hello.bundles
            let change = state.directory.heard(hello, at: now)
            guard case .newInstance(let service, _) = change else {
                if state.directory.instances[hello.instance]?.hello.bundles != readBundles {
                    connection.setBundleTopics(state.directory.bundleTopics)
                }
                return (change, [])
            }
            connection.setBundleTopics(state.directory.bundleTopics)
            return (change, state.pending.serviceRestarted(service, at: now))
        }
        if !again.isEmpty {
            logger.info("publishing again for a new instance", metadata: [
                "service": "\(hello.service)", "instance": "\(hello.instance)", "events": "\(again.count)",
            ])
        }
        connection.publish(again)
        return change
    }

    /// Takes a received message: a `hello` updates the directory (and re-publishes what waits
    /// for a restarted service), a `reply` ends its pending event. Returns `true` when the
    /// message was a reply this client was waiting for.
    @discardableResult
    public func receive(_ envelope: Envelope) -> Bool {
        switch envelope.header.type {
        case .hello:
            guard let hello = try? envelope.decodeBody(as: Hello.self) else { return false }
            heard(hello)
            return false
        case .reply:
            guard let re = envelope.header.re,
                  let entry = state.withLock({ $0.pending.resolve(re) }) else { return false }
            entry.token(.success(envelope))
            return true
        default:
            return false
        }
    }

    /// One step of the clock: re-publish what is due, fail what is too old.
    public func tick() {
        let step = state.withLock { state in
            state.pending.tick(at: now)
        }
        connection.publish(step.republish)
        for entry in step.expired {
            let failure = DeliveryFailure.timedOut(afterMilliseconds: now - entry.firstSent, attempts: entry.attempts)
            logger.warning("event dropped past the bound", metadata: [
                "id": "\(entry.envelope.header.id)", "service": "\(entry.service)",
                "event": "\(entry.envelope.header.event ?? "-")", "reason": "\(failure)",
            ])
            entry.token(.failure(failure))
        }
    }

    /// Removes and returns the instances that missed their hellos (``ServiceDirectory/expire(at:)``):
    /// a ready hello of one of them counts as a new instance again.
    public func expireSilentInstances() -> [ServiceDirectory.Instance] {
        state.withLock { state in
            let gone = state.directory.expire(at: now)
            if !gone.isEmpty { connection.setBundleTopics(state.directory.bundleTopics) }
            return gone
        }
    }

    /// Refuses new events and fails every waiting one with `closed`.
    public func close() {
        let waiting = state.withLock { state in
            state.closed = true
            return state.pending.removeAll()
        }
        waiting.forEach { $0.token(.failure(.closed)) }
    }
}
