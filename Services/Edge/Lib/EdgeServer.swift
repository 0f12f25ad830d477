import Contracts
import EngineIO
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ServiceLifecycle

/// The listeners and the bus bridge, as one lifecycle service.
///
/// It serves on `loops` event loops (default: one per core it may run on, ``defaultLoops``);
/// NIO spreads the connections over them. Each loop's state (``EdgeLoop``: its connections,
/// sockets and rooms) needs no locks; a request for a session of another loop is carried out
/// there (`EdgeLoop+Sessions`), and the bus pump, the authentication tasks and the other
/// loops hand their work to a loop through its ``LoopHandle``.
final class EdgeServer: Service, Sendable {
    private let configuration: EdgeConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let hub: EdgeHub
    private let bus: EdgeBus
    private let logger: Logger

    init(configuration: EdgeConfiguration, bus: EdgeBus, authorizer: Authorizer, logger: Logger) {
        self.configuration = configuration
        self.bus = bus
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.loops ?? Self.defaultLoops)
        hub = EdgeHub(configuration: configuration, bus: bus, authorizer: authorizer, metrics: EdgeMetrics(),
                      logger: logger, loops: Array(group.makeIterator()))
    }

    /// The services of the edge's group in start order: the bus pump, the metrics sampler and
    /// this server, which a graceful shutdown stops first.
    var services: [any Service] {
        [EdgeBusPump(bus: bus, hub: hub), EdgeMetricsSampler(bus: bus, metrics: hub.metrics), self]
    }

    /// Waits (up to 3 s) until the bus pump hears the bus, opens the listeners and serves until
    /// graceful shutdown; then closes the listeners. When a listener cannot open, those that did
    /// are closed and the error ends the group (whose bus pump then closes the bus connection).
    func run() async throws {
        if !(await bus.warmUp(timeout: .seconds(3))) {
            logger.warning("the bus did not answer within 3 s; serving anyway (events wait for services)")
        }
        var bound: [Channel] = []
        do {
            for index in configuration.listeners.indices {
                bound.append(try await bind(listener: index))
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        let channels = bound
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                EventLoopFuture.andAllComplete(channels.map(\.closeFuture), on: group.next()).whenComplete { _ in
                    done.resume()
                }
            }
        } onGracefulShutdown: {
            channels.forEach { $0.close(promise: nil) }
        }
        logger.info("edge listeners closed")
    }

    /// Stops the event loops, once the group is over (the bus pump no longer hands them replies).
    func stopLoops() async {
        try? await group.shutdownGracefully()
        logger.info("edge stopped")
    }

    /// How a connection's reads are sized. NIO keeps a channel's last receive buffer for its next
    /// read, so an idle connection holds one for good: 512 bytes fit a WebSocket upgrade request
    /// and an idle socket's small frames (NIO's default starts at 2,048 bytes). A connection that
    /// fills its buffer gets a larger one for its next read, up to 64 KB, as with the default.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)

    private func bind(listener index: Int) async throws -> Channel {
        let listener = configuration.listeners[index]
        let hub = self.hub
        let maxFrame = configuration.maxPayload + 1024
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: maxFrame,
                    shouldUpgrade: { channel, head in
                        let edge = hub.edgeLoop(on: channel.eventLoop)
                        return channel.eventLoop.makeSucceededFuture(Self.acceptsWebSocket(head, listener: index, edge: edge) ? HTTPHeaders() : nil)
                    },
                    upgradePipelineHandler: { channel, head in
                        let purpose = Self.purpose(of: head, listener: index, channel: channel,
                                                   configuration: hub.configuration)
                        return channel.eventLoop.makeCompletedFuture {
                            let edge = hub.edgeLoop(on: channel.eventLoop)
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                                            maxAccumulatedFrameSize: maxFrame))
                            try channel.pipeline.syncOperations.addHandler(WebSocketHandler(edge: edge, purpose: purpose))
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    let edge = hub.edgeLoop(on: channel.eventLoop)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            context.pipeline.removeHandler(name: HTTPTimeoutHandler.name, promise: nil)
                            context.pipeline.removeHandler(name: "switchboard-http", promise: nil)
                        }))
                    try channel.pipeline.syncOperations.addHandler(HTTPTimeoutHandler(limits: hub.configuration.limits),
                                                                   name: HTTPTimeoutHandler.name)
                    try channel.pipeline.syncOperations.addHandler(HTTPHandler(edge: edge, listener: index),
                                                                   name: "switchboard-http")
                }
            }
        let channel = try await bootstrap.bind(host: listener.host, port: listener.port).get()
        logger.info("edge listening", metadata: ["port": "\(channel.localAddress?.port ?? listener.port)",
                                                 "host": "\(listener.host)", "path": "\(configuration.path)"])
        return channel
    }

    /// A WebSocket request the edge takes: a new session, or an upgrade of a known polling session
    /// of the same endpoint (the Socket.IO path or a plain Engine.IO one).
    private static func acceptsWebSocket(_ head: HTTPRequestHead, listener: Int, edge: EdgeLoop) -> Bool {
        guard let served = try? edge.hub.configuration.engineRequest(
            method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
            listener: listener)
        else { return false }
        switch served.request.kind {
        case .handshake(.websocket): return true
        case .upgrade(let sid): return edge.mayKnowSession(sid, plain: served.plain)
        default: return false
        }
    }

    private static func purpose(of head: HTTPRequestHead, listener: Int, channel: Channel,
                                configuration: EdgeConfiguration) -> WebSocketHandler.Purpose {
        let query = head.uri.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        for pair in query.split(separator: "&") where pair.hasPrefix("sid=") {
            let sid = String(pair.dropFirst(4)).removingPercentEncoding ?? String(pair.dropFirst(4))
            if !sid.isEmpty { return .upgrade(sid: sid) }
        }
        let served = try? configuration.engineRequest(method: head.method.rawValue, target: head.uri,
                                                      headers: head.headers.map { ($0.name, $0.value) },
                                                      listener: listener)
        return .handshake(listener: listener, address: HTTPHandler.address(of: channel),
                          cookie: head.headers.first(name: "cookie"), plain: served?.plain)
    }
}
