import CZeroMQ
import Contracts
import Foundation
import Logging
import Synchronization

/// The bus: an XSUB/XPUB forwarder. Publishers connect to the XSUB side, subscribers to the
/// XPUB side; subscriptions flow upstream so publishers filter at the source. With a key
/// folder, both sides speak CurveZMQ and a ZAP handler on the forwarding thread lets in only
/// the keys of the roles file (docs/operations.md). Stops on ``terminate()``.
public final class BusProxy: Sendable {
    /// The two endpoints, the socket options and the keys.
    public struct Configuration: Sendable {
        /// Where publishers connect (XSUB). Default `tcp://127.0.0.1:5550`.
        public var frontend = "tcp://127.0.0.1:5550"
        /// Where subscribers connect (XPUB). Default `tcp://127.0.0.1:5551`.
        public var backend = "tcp://127.0.0.1:5551"
        /// libzmq options of both sides. Default: ``SocketOptions``'s defaults with linger 0,
        /// since a stopping bus has nobody to deliver to.
        public var socketOptions: SocketOptions = {
            var options = SocketOptions()
            options.lingerMilliseconds = 0
            return options
        }()
        /// The key folder (``BusKeyFolder``: `bus.key` and `roles`). Default `nil`: no CURVE and
        /// anyone may connect, for in-process tests and benchmarks; the `bus` process always
        /// gives one.
        public var keyFolder: String? = nil

        /// The defaults.
        public init() {}
    }

    /// Counters since the bus started.
    public struct Statistics: Sendable, Equatable {
        /// Connections the ZAP handler let in.
        public var accepted: Int
        /// Connections refused because their key is not in the roles file.
        public var refusedConnections: Int
        /// Messages dropped because their sender's role may not publish them.
        public var refusedMessages: Int
        /// Subscriptions refused because their sender's role may not read those topics.
        public var refusedSubscriptions: Int
    }

    private struct Sockets: @unchecked Sendable {
        var frontend: ZMQSocket
        var backend: ZMQSocket
        var control: ZMQSocket
        var controlSender: ZMQSocket
        var zap: ZMQSocket?
    }

    private let context = ZMQContext()
    private let sockets: Mutex<Sockets>
    private let gate: Mutex<ProxyGate?>
    let counters = ProxyCounters()
    /// The endpoints actually bound (a `*` port resolved), frontend then backend.
    public let boundEndpoints: (frontend: String, backend: String)
    private let logger: Logger

    /// Binds both sides; throws when an endpoint is taken or malformed, or the key folder's
    /// `bus.key` or `roles` cannot be read.
    public init(configuration: Configuration = .init(), logger: Logger) throws(ZMQError) {
        self.logger = logger
        var options = configuration.socketOptions
        var gate: ProxyGate?
        if let folder = configuration.keyFolder {
            do {
                let loaded = try BusKeyFolder(path: folder).loadServer()
                options.security = .server(keys: loaded.keys)
                gate = ProxyGate(folder: BusKeyFolder(path: folder), roles: loaded.roles, logger: logger)
            } catch {
                throw ZMQError(code: EINVAL, operation: error.description)
            }
        }
        let configured = try context.building { open throws(ZMQError) in
            // The ZAP handler is bound before any CURVE socket, so no connection is let in unchecked.
            var zap: ZMQSocket?
            if gate != nil {
                zap = try open(.rep)
                try zap?.set(ZMQ_LINGER, 0)
                try zap?.bind("inproc://zeromq.zap.01")
            }
            let frontend = try open(.xsub)
            try options.apply(to: frontend)
            try frontend.bind(configuration.frontend)
            let backend = try open(.xpub)
            try options.apply(to: backend)
            // With keys, the bus applies each subscription itself, once its role allows it.
            if gate != nil { try backend.set(ZMQ_XPUB_MANUAL, 1) }
            try backend.bind(configuration.backend)
            let controlEndpoint = "inproc://bus-control-\(MessageID.make())"
            let control = try open(.pair)
            try control.bind(controlEndpoint)
            let controlSender = try open(.pair)
            try controlSender.set(ZMQ_LINGER, 0)
            try controlSender.connect(controlEndpoint)
            return (Sockets(frontend: frontend, backend: backend, control: control, controlSender: controlSender,
                            zap: zap),
                    (try frontend.lastEndpoint(), try backend.lastEndpoint()))
        }
        sockets = Mutex(configured.0)
        self.gate = Mutex(gate)
        boundEndpoints = configured.1
        gate?.logProblems()
    }

    /// The counters so far.
    public var statistics: Statistics {
        Statistics(accepted: counters.accepted.load(ordering: .relaxed),
                   refusedConnections: counters.refusedConnections.load(ordering: .relaxed),
                   refusedMessages: counters.refusedMessages.load(ordering: .relaxed),
                   refusedSubscriptions: counters.refusedSubscriptions.load(ordering: .relaxed))
    }

    /// Forwards messages until ``terminate()``; the forwarding runs on a dedicated thread.
    public func run() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                let taken = sockets.withLock { $0 }
                let loop = ProxyLoop(frontend: taken.frontend, backend: taken.backend, control: taken.control,
                                     zap: taken.zap, gate: gate.withLock { $0.take() }, counters: counters,
                                     logger: logger)
                logger.info("bus forwarding", metadata: ["xsub": "\(boundEndpoints.frontend)",
                                                         "xpub": "\(boundEndpoints.backend)",
                                                         "curve": "\(taken.zap != nil)"])
                loop.run()
                let counts = statistics
                logger.info("""
                    bus refused \(counts.refusedConnections) connections, \(counts.refusedMessages) messages, \
                    \(counts.refusedSubscriptions) subscriptions; let in \(counts.accepted) connections
                    """)
                sockets.withLock { sockets in
                    [sockets.frontend, sockets.backend, sockets.control, sockets.controlSender].forEach { $0.close() }
                    sockets.zap?.close()
                }
                context.terminate()
                done.resume()
            }
            thread.name = "switchboard-bus-proxy"
            thread.start()
        }
    }

    /// Asks the forwarder to stop; ``run()`` then returns. Safe from any thread, once or more.
    public func terminate() {
        sockets.withLock { _ = try? $0.controlSender.send([Data("TERMINATE".utf8)]) }
    }
}

/// The proxy's counters, added to by the forwarding thread only.
final class ProxyCounters: Sendable {
    let accepted = Atomic<Int>(0)
    let refusedConnections = Atomic<Int>(0)
    let refusedMessages = Atomic<Int>(0)
    let refusedSubscriptions = Atomic<Int>(0)
}
