import CZeroMQ
import Contracts
import Foundation
import Logging
import Synchronization

/// The bus itself: libzmq's XSUB/XPUB forwarder. Publishers connect to the XSUB side,
/// subscribers to the XPUB side; subscriptions flow upstream so publishers filter at the source.
/// It holds no logic of its own (`zmq_proxy_steerable`), and stops on ``terminate()``.
public final class BusProxy: Sendable {
    /// The two endpoints and the socket options.
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

        /// The defaults.
        public init() {}
    }

    private struct Sockets: @unchecked Sendable {
        var frontend: ZMQSocket
        var backend: ZMQSocket
        var control: ZMQSocket
        var controlSender: ZMQSocket
    }

    private let context = ZMQContext()
    private let sockets: Mutex<Sockets>
    /// The endpoints actually bound (a `*` port resolved), frontend then backend.
    public let boundEndpoints: (frontend: String, backend: String)
    private let logger: Logger

    /// Binds both sides; throws when an endpoint is taken or malformed.
    public init(configuration: Configuration = .init(), logger: Logger) throws(ZMQError) {
        self.logger = logger
        let configured = try context.building { open throws(ZMQError) in
            let frontend = try open(.xsub)
            try configuration.socketOptions.apply(to: frontend)
            try frontend.bind(configuration.frontend)
            let backend = try open(.xpub)
            try configuration.socketOptions.apply(to: backend)
            try backend.bind(configuration.backend)
            let controlEndpoint = "inproc://bus-control-\(MessageID.make())"
            let control = try open(.pair)
            try control.bind(controlEndpoint)
            let controlSender = try open(.pair)
            try controlSender.set(ZMQ_LINGER, 0)
            try controlSender.connect(controlEndpoint)
            return (Sockets(frontend: frontend, backend: backend, control: control, controlSender: controlSender),
                    (try frontend.lastEndpoint(), try backend.lastEndpoint()))
        }
        sockets = Mutex(configured.0)
        boundEndpoints = configured.1
    }

    /// Forwards messages until ``terminate()``; the forwarding runs on a dedicated thread.
    public func run() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                let (frontend, backend, control) = sockets.withLock { ($0.frontend, $0.backend, $0.control) }
                logger.info("bus forwarding", metadata: ["xsub": "\(boundEndpoints.frontend)",
                                                         "xpub": "\(boundEndpoints.backend)"])
                if zmq_proxy_steerable(frontend.handle, backend.handle, nil, control.handle) != 0 {
                    let error = ZMQError.last("zmq_proxy_steerable")
                    if error.code != ETERM { logger.error("bus stopped: \(error)") }
                }
                sockets.withLock { sockets in
                    [sockets.frontend, sockets.backend, sockets.control, sockets.controlSender].forEach { $0.close() }
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
