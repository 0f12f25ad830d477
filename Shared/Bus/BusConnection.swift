import CZeroMQ
import Contracts
import Foundation
import Logging
import Synchronization

/// A process's connection to the bus: one PUB socket to the bus's XSUB side and one SUB socket
/// to its XPUB side, owned by one dedicated thread (`zmq_poll` over the SUB socket and an
/// inproc wake-up socket). Any thread or task may publish without blocking; received messages
/// arrive on ``messages`` (one by one) or ``batches`` (all that one wake-up found) without
/// polling. A wake-up of the bus thread sends every queued publish and reads every waiting
/// message (up to 1,024), so a burst costs one hand-off each way, not one per message; runs of
/// queued envelopes to a topic of ``setBundleTopics(_:)`` go out as bundles (bus-protocol §3),
/// and received bundles arrive as their envelopes.
public final class BusConnection: Sendable {
    /// Where the bus is and how the sockets behave.
    public struct Configuration: Sendable {
        /// The bus's XSUB endpoint, where this connection publishes. Default `tcp://127.0.0.1:5550`.
        public var publishEndpoint = "tcp://127.0.0.1:5550"
        /// The bus's XPUB endpoint, where this connection subscribes. Default `tcp://127.0.0.1:5551`.
        public var subscribeEndpoint = "tcp://127.0.0.1:5551"
        /// libzmq options for both sockets. Default: ``SocketOptions``'s documented defaults.
        public var socketOptions = SocketOptions()
        /// Where the CURVE keys come from (their ``SocketOptions/security``). Default: the
        /// environment (``BusKeySource/environment(name:)``, bus-protocol §17).
        public var keys: BusKeySource = .environment()
        /// Received messages waiting for the consumer before newer ones are dropped and counted;
        /// `nil` (the default) keeps them all.
        public var receiveBufferLimit: Int? = nil
        /// The size of the bundles this connection publishes. Default: ``BusBundle/Limits``'s.
        public var bundleLimits = BusBundle.Limits()

        /// The defaults.
        public init() {}
    }

    /// Counters since the connection opened.
    public struct Statistics: Sendable, Equatable {
        /// Envelopes handed to the PUB socket, bundled or not.
        public var published: Int
        /// Bundles among what was handed to the PUB socket.
        public var bundlesPublished: Int
        /// Envelopes of ``published`` that went out in those bundles.
        public var bundledPublished: Int
        /// Envelopes delivered on ``messages``, bundled or not.
        public var received: Int
        /// Bundles among what was received.
        public var bundlesReceived: Int
        /// Messages dropped because they could not be read (each logged once).
        public var malformed: Int
        /// Messages dropped because the consumer was behind by more than `receiveBufferLimit`.
        public var dropped: Int
    }

    private enum Command {
        /// Messages to publish, each the frames of one envelope, in order.
        case send([[Data]])
        /// Anything else the bus thread does for the connection.
        case control(Control)
    }

    private enum Control {
        case subscribe(Subscription)
        case unsubscribe(Subscription)
        case close
    }

    private struct Outbox {
        var commands: [Command] = []
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var finished = false
    }

    /// Every received message that matches a subscription, one wake-up's worth at a time.
    public let batches: BusBatches
    let continuation: AsyncStream<[Envelope]>.Continuation
    let receiveBufferLimit: Int?
    let bundleLimits: BusBundle.Limits
    /// The topics (frame 0's bytes) whose receivers all read bundles.
    let bundleTopics = Mutex<Set<Data>>([])
    private let outbox = Mutex(Outbox())
    private let context: ZMQContext
    private let sockets: Mutex<Sockets>
    private let wake: Mutex<WakeSocket>
    let logger: Logger
    // The counters: only the bus thread adds to them, so relaxed atomics suffice and no lock
    // is taken per message.
    let published = Atomic<Int>(0)
    let bundlesPublished = Atomic<Int>(0)
    let bundledPublished = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let bundlesReceived = Atomic<Int>(0)
    let malformed = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)

    /// The bus thread's sockets, reached only under the mutex (the thread takes them once at
    /// start and holds no lock while polling).
    private struct Sockets: @unchecked Sendable {
        var pull: ZMQSocket
        var pub: ZMQSocket
        var sub: ZMQSocket
    }

    /// The wake-up PUSH socket, used by publishers one at a time under its own mutex; `nil`
    /// once the bus thread closed it.
    private struct WakeSocket: @unchecked Sendable {
        var push: ZMQSocket?
    }

    /// Opens the sockets, connects them to the bus and starts the bus thread.
    public init(configuration: Configuration = .init(), logger: Logger) throws(ZMQError) {
        self.logger = logger
        var options = configuration.socketOptions
        do {
            options.security = try configuration.keys.resolve()
        } catch {
            throw ZMQError(code: EINVAL, operation: error.description)
        }
        if case .plain = options.security { logger.debug("no bus key: connecting without CURVE") }
        let context = ZMQContext()
        self.context = context
        let opened = try context.building { open throws(ZMQError) in
            let wakeEndpoint = "inproc://bus-wake-\(MessageID.make())"
            let pull = try open(.pull)
            try pull.bind(wakeEndpoint)
            let push = try open(.push)
            try push.set(ZMQ_LINGER, 0)
            try push.set(ZMQ_SNDHWM, 0)
            try push.connect(wakeEndpoint)
            let pub = try open(.pub)
            try options.apply(to: pub)
            try pub.connect(configuration.publishEndpoint)
            let sub = try open(.sub)
            try options.apply(to: sub)
            try sub.set(ZMQ_LINGER, 0)
            try sub.connect(configuration.subscribeEndpoint)
            return (Sockets(pull: pull, pub: pub, sub: sub), WakeSocket(push: push))
        }
        sockets = Mutex(opened.0)
        wake = Mutex(opened.1)
        receiveBufferLimit = configuration.receiveBufferLimit
        bundleLimits = configuration.bundleLimits
        let (stream, continuation) = AsyncStream.makeStream(of: [Envelope].self)
        self.continuation = continuation
        batches = BusBatches(stream: stream, backlog: ReceiveBacklog())
        let thread = Thread { [self] in runLoop() }
        thread.name = "switchboard-bus"
        thread.start()
    }

    /// Every received message that matches a subscription, one by one, in arrival order.
    public var messages: BusMessages { BusMessages(batches: batches) }

    /// Queues `envelope` for publishing. Never blocks; safe from any thread or event loop.
    public func publish(_ envelope: Envelope) {
        enqueue(.send([envelope.encode()]))
    }

    /// Queues `envelopes` for publishing, in order, with at most one wake-up of the bus thread.
    public func publish(_ envelopes: [Envelope]) {
        guard !envelopes.isEmpty else { return }
        enqueue(.send(envelopes.map { $0.encode() }))
    }

    /// Starts receiving messages that match `subscription`.
    public func subscribe(_ subscription: Subscription) {
        enqueue(.control(.subscribe(subscription)))
    }

    /// Stops receiving messages for a subscription made before.
    public func unsubscribe(_ subscription: Subscription) {
        enqueue(.control(.unsubscribe(subscription)))
    }

    /// The counters so far (each read on its own: they may be a message apart from each other).
    public var statistics: Statistics {
        Statistics(published: published.load(ordering: .relaxed),
                   bundlesPublished: bundlesPublished.load(ordering: .relaxed),
                   bundledPublished: bundledPublished.load(ordering: .relaxed),
                   received: received.load(ordering: .relaxed),
                   bundlesReceived: bundlesReceived.load(ordering: .relaxed),
                   malformed: malformed.load(ordering: .relaxed), dropped: dropped.load(ordering: .relaxed))
    }

    /// Sends what is queued (within the linger time), closes the sockets and ends ``messages``.
    public func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let resumeNow = outbox.withLock { box -> Bool in
                if box.finished { return true }
                box.closeWaiters.append(waiter)
                return false
            }
            if resumeNow { waiter.resume() } else { enqueue(.control(.close)) }
        }
    }

    private func enqueue(_ command: Command) {
        let wakeUp = outbox.withLock { box -> Bool in
            guard !box.closed else { return false }
            if case .control(.close) = command { box.closed = true }
            box.commands.append(command)
            return box.commands.count == 1
        }
        // Only the empty → non-empty transition wakes the bus thread. The wake-up is sent after
        // the outbox lock is released, so publishers and the bus thread do not wait on a
        // system call: the command is already queued when it arrives, and a wake-up that finds
        // the queue already emptied only costs the bus thread an empty round.
        if wakeUp {
            wake.withLock { _ = try? $0.push?.send([Data([1])]) }
        }
    }
}

extension BusConnection {
    /// The bus thread: poll, run queued commands in order, drain received messages.
    private func runLoop() {
        let (pull, pub, sub) = sockets.withLock { ($0.pull, $0.pub, $0.sub) }
        var subscriptions: [Subscription: Int] = [:]
        var running = true
        while running {
            let readable: [Bool]
            do {
                readable = try zmqPollReadable([sub, pull], timeoutMilliseconds: -1)
            } catch {
                logger.critical("bus thread stops: \(error)")
                break
            }
            if readable[1] {
                while (try? pull.receive()) ?? nil != nil {}
                let commands = outbox.withLock { box -> [Command] in
                    defer { box.commands.removeAll(keepingCapacity: true) }
                    return box.commands
                }
                // Publications are gathered until the next other command (or the end), so that
                // consecutive ones may go out as bundles, in their order.
                var outgoing: [[Data]] = []
                for command in commands where running {
                    switch command {
                    case .send(let messages):
                        outgoing += messages
                    case .control(let control):
                        send(outgoing, pub: pub)
                        outgoing.removeAll(keepingCapacity: true)
                        running = execute(control, sub: sub, subscriptions: &subscriptions)
                    }
                }
                send(outgoing, pub: pub)
            }
            if readable[0] && running {
                drain(sub, subscriptions: subscriptions)
            }
        }
        sockets.withLock { sockets in
            sockets.sub.close()
            sockets.pub.close()
            sockets.pull.close()
        }
        wake.withLock { wake in
            wake.push?.close()
            wake.push = nil
        }
        context.terminate()
        continuation.finish()
        let counts = statistics
        logger.info("bus connection closed", metadata: [
            "published": "\(counts.published)", "bundlesPublished": "\(counts.bundlesPublished)",
            "bundledPublished": "\(counts.bundledPublished)",
            "received": "\(counts.received)", "bundlesReceived": "\(counts.bundlesReceived)",
            "malformed": "\(counts.malformed)", "dropped": "\(counts.dropped)",
        ])
        let waiters = outbox.withLock { box -> [CheckedContinuation<Void, Never>] in
            box.finished = true
            box.closed = true
            defer { box.closeWaiters.removeAll() }
            return box.closeWaiters
        }
        waiters.forEach { $0.resume() }
    }

    private func execute(_ control: Control, sub: ZMQSocket, subscriptions: inout [Subscription: Int]) -> Bool {
        do {
            switch control {
            case .subscribe(let subscription):
                try sub.set(ZMQ_SUBSCRIBE, bytes: Array(subscription.zmqPrefix.utf8))
                subscriptions[subscription, default: 0] += 1
            case .unsubscribe(let subscription):
                guard let count = subscriptions[subscription] else { return true }
                try sub.set(ZMQ_UNSUBSCRIBE, bytes: Array(subscription.zmqPrefix.utf8))
                subscriptions[subscription] = count > 1 ? count - 1 : nil
            case .close:
                return false
            }
        } catch {
            logger.error("bus command failed: \(error)")
        }
        return true
    }
}
