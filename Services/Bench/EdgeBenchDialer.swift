import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens the connections of `switchboard-bench edge` to one Socket.IO server: TCP, the
/// WebSocket upgrade of `GET <path>?EIO=4&transport=websocket`, then the join of `/`.
/// A failed attempt is retried after a pause; many connections open a few at a time.
struct EdgeBenchDialer: Sendable {
    /// A connection that joined `/`.
    struct Opened: Sendable {
        /// Its channel, to close it at the end.
        let channel: Channel
        /// Its client, reachable on the channel's event loop.
        let client: NIOLoopBound<EdgeBenchConnection>
    }

    /// The client's event loops.
    let group: MultiThreadedEventLoopGroup
    /// The server's host.
    let host: String
    /// The server's port.
    let port: Int
    /// The Engine.IO path, e.g. `/socket.io/`.
    let path: String
    /// Attempts per connection before it counts as failed.
    let attempts: Int
    /// How long one attempt may take from the TCP connect to the join.
    let timeout: TimeAmount = .seconds(15)

    /// Opens `count` connections, at most `concurrency` at a time, each with `load`'s events (or
    /// idle when `nil`) and the server's events going to `onEvent`. Returns those that joined
    /// (in the order they joined) and the number that never did; reports progress on standard
    /// error every `progressEvery` connections.
    func openAll(count: Int, concurrency: Int, load: EdgeBenchLoad?,
                 onEvent: EdgeBenchConnection.EventHandler? = nil,
                 progressEvery: Int = 1000) async -> (opened: [Opened], failed: Int)
    {
        await withTaskGroup(of: Opened?.self) { tasks in
            var started = 0
            var opened: [Opened] = []
            var failed = 0
            while started < min(concurrency, count) {
                tasks.addTask { try? await openRetrying(load: load, onEvent: onEvent) }
                started += 1
            }
            for await result in tasks {
                if let result { opened.append(result) } else { failed += 1 }
                let done = opened.count + failed
                if done % progressEvery == 0 {
                    FileHandle.standardError.write(Data("  \(opened.count) connected, \(failed) failed\n".utf8))
                }
                if started < count {
                    tasks.addTask { try? await openRetrying(load: load, onEvent: onEvent) }
                    started += 1
                }
            }
            return (opened, failed)
        }
    }

    /// One connection, with up to `attempts` attempts, waiting 100 ms × attempt in between.
    func openRetrying(load: EdgeBenchLoad?, onEvent: EdgeBenchConnection.EventHandler? = nil,
                      joins: [EdgeBenchConnection.Join] = [.root]) async throws -> Opened
    {
        var attempt = 1
        while true {
            do {
                return try await open(load: load, onEvent: onEvent, joins: joins)
            } catch {
                guard attempt < attempts else { throw error }
                try await Task.sleep(for: .milliseconds(100 * attempt))
                attempt += 1
            }
        }
    }

    /// One attempt: returns once the server confirmed every namespace of `joins`, throws
    /// otherwise (the channel is closed then, also when the attempt takes longer than `timeout`).
    func open(load: EdgeBenchLoad?, onEvent: EdgeBenchConnection.EventHandler? = nil,
              joins: [EdgeBenchConnection.Join] = [.root]) async throws -> Opened
    {
        let (host, port, timeout) = (host, port, timeout)
        let uri = path + "?EIO=4&transport=websocket"
        let ready = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel -> EventLoopFuture<EventLoopFuture<Opened>> in
                channel.eventLoop.makeCompletedFuture {
                    let joined = channel.eventLoop.makePromise(of: Void.self)
                    let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
                    joined.futureResult.whenComplete { _ in deadline.cancel() }
                    channel.closeFuture.whenComplete { _ in
                        joined.fail(EdgeBenchFailure(description: "the connection closed before joining its namespaces"))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Opened?>(
                        maxFrameSize: 1 << 20,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let client = EdgeBenchConnection(load: load, onEvent: onEvent, joins: joins, joined: joined)
                                try channel.pipeline.syncOperations.addHandler(client)
                                return Opened(channel: channel, client: NIOLoopBound(client, eventLoop: channel.eventLoop))
                            }
                        })
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: NIOTypedHTTPClientUpgradeConfiguration(
                            upgradeRequestHead: head, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }))
                    // The open packet may arrive in the same read as the 101 response.
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration)
                    return upgraded.flatMap { opened in
                        guard let opened else {
                            channel.close(promise: nil)
                            return channel.eventLoop.makeFailedFuture(
                                EdgeBenchFailure(description: "the server refused the WebSocket upgrade"))
                        }
                        return joined.futureResult.map { opened }
                    }
                }
            }
        return try await ready.get()
    }
}

/// Raises this process's open-file limit to its hard limit; returns the new soft limit.
func raiseOpenFileLimit() -> UInt64 {
    var limit = rlimit()
    #if os(Linux)
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    let resource = RLIMIT_NOFILE
    #endif
    guard getrlimit(resource, &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(resource, &raised) == 0 { limit = raised }
    }
    return UInt64(limit.rlim_cur)
}
