import Bus
import Contracts
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Runs a ``ServiceDefinition`` on the bus: subscribes, announces itself in `hello` once its
/// own hello came back, answers each event once (dedup), sends its ``Outbox`` (services with a
/// database: replies on `inbox.<instance>` are taken as they arrive, not behind the handler
/// loop), and stops gracefully. Messages are handled in batches: all that waits when the
/// handler loop is free, with one transaction for all their writes (``handle(_:on:)``).
///
/// Its ``BusClient`` owns the connection, the hellos (probing, then every interval once the
/// start-up step is done), the directory of the processes heard, the inbox and the delivery
/// rules of the outbox's requests.
public final class ServiceRuntime: Service, Sendable {
    let definition: ServiceDefinition
    let configuration: ServiceConfiguration
    let logger: Logger
    let database: DatabasePool?
    /// The replies of recent events, for every service: the only store of replies that wrote
    /// nothing, and a front for the SQLite store.
    let memory: MemoryDedupStore
    /// The replies stored with their writes, for a service with a database.
    let stored: SQLiteDedupStore?
    /// The durable emits' publisher, for a service with a database.
    let emits: EmitPublisher?
    /// Start-up done and announced: events are answered.
    let announced = Mutex(false)
    /// The mirror of the edges' sockets, for a service that keeps one.
    let mirror: SocketMirror?

    /// Opens the database (running migrations) so that a broken file fails the start, not an event.
    public init(definition: ServiceDefinition, configuration: ServiceConfiguration, logger: Logger) throws {
        self.definition = definition
        self.configuration = configuration
        self.logger = logger
        if let migrations = definition.migrations {
            let pool = try ServiceDatabase.open(directory: configuration.dataDirectory, service: definition.name,
                                                migrations: migrations)
            database = pool
            stored = SQLiteDedupStore(writer: pool)
            emits = EmitPublisher(database: pool, instance: configuration.instance, logger: logger)
        } else {
            database = nil
            stored = nil
            emits = nil
        }
        memory = MemoryDedupStore(capacity: configuration.dedupCapacity)
        mirror = definition.socketHandler == nil ? nil : SocketMirror()
    }

    /// `true` once the service heard its own hello back, ran its start-up and announces itself.
    public var isReady: Bool { announced.withLock { $0 } }

    /// What the service's bus client subscribes to and says: `svc.<name>`, `life` when it has
    /// life handlers or a mirror, the inbox when it has an outbox; a hello with its routes and life kinds,
    /// held at `ready: false` until the start-up step is done.
    var clientConfiguration: BusClient.Configuration {
        var client = BusClient.Configuration(instance: configuration.instance)
        client.bus = configuration.bus
        client.subscriptions = [.exact(Topic.service(definition.name))]
        if !definition.lifeHandlers.isEmpty || mirror != nil { client.subscriptions.append(.exact(Topic.life)) }
        client.usesInbox = database != nil
        var announcement = BusClient.Announcement(service: definition.name)
        announcement.handles = definition.routes
        announcement.failures = definition.failures
        announcement.life = mirror != nil ? LifeFactKind.allCases
            : definition.lifeHandlers.keys.sorted { $0.rawValue < $1.rawValue }
        announcement.waitsForStartUp = true
        client.announcement = announcement
        client.helloIntervalMilliseconds = configuration.helloIntervalMilliseconds
        return client
    }

    /// Connects, serves until graceful shutdown, then lets queued replies go out and closes (the
    /// durable emits still waiting for the bus are forgotten when the close took less than the
    /// linger time).
    public func run() async throws {
        let client = try BusClient(configuration: clientConfiguration, logger: logger)
        let outbox = database.map { OutboxDrainer(database: $0, client: client, logger: logger) }
        try await pruneDedupStore()
        logger.info("starting", metadata: ["instance": "\(configuration.instance)",
                                           "handles": "\(definition.routes.map(\.description))"])
        // Inbox replies are the client's and hellos feed its directory; everything else waits
        // for the handler loop, hellos too when the service mirrors the edges (an edge's hello
        // says how far its facts went), and so does the news of an edge gone.
        let queue = MessageQueue()
        let mirror = self.mirror
        let handlers = BusClient.Handlers(
            messages: { batch in queue.append(mirror != nil ? batch : batch.filter { $0.header.type != .hello }) },
            newInstance: { hello in outbox?.heard(hello) },
            gone: { instances in
                if mirror != nil {
                    queue.append(instances.filter { $0.hello.service == "edge" }.map {
                        SocketMirror.signal(SocketMirror.goneSignal, from: $0.hello.instance)
                    })
                }
                await self.reportGone(instances, on: client)
            },
            reached: { mark in
                if let emits = self.emits { Task { await emits.reached(mark) } }
            })
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await client.run(handlers)
                    queue.finish()
                }
                group.addTask { await self.start(on: client, outbox: outbox, queue: queue) }
                if self.stored != nil { group.addTask { await self.pruneEveryTenMinutes() } }
                group.addTask {
                    for await _ in queue.wakeups {
                        while !Task.isCancelled, let batch = queue.take(upTo: self.configuration.batchLimit) {
                            // A task of its own: shutdown cancels the loop, never a half-done batch.
                            await Task { await self.handle(batch, on: client) }.value
                        }
                        if Task.isCancelled { break }
                    }
                }
            }
        }
        let closing = ContinuousClock.now
        await client.shutdown()
        await emits?.closed(within: ContinuousClock.now - closing,
                            linger: .milliseconds(Int(configuration.bus.socketOptions.lingerMilliseconds)))
        logger.info("stopped", metadata: ["instance": "\(configuration.instance)"])
    }

    /// Once the subscriptions are live: publishes the durable emits an earlier run left, mirrors
    /// the edges (when the service does), runs the start-up step, announces the service, and
    /// starts the background tasks and the outbox.
    private func start(on client: BusClient, outbox: OutboxDrainer?, queue: MessageQueue) async {
        while !client.isReady {
            if Task.isCancelled { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        await emits?.publishLeftovers(on: client)
        if let mirror { await collectSnapshots(mirror, queue: queue) }
        let control = ServiceControl(instance: configuration.instance, logger: logger, database: database,
                                     client: client, emits: emits)
        if let onStart = definition.onStart {
            do {
                try await onStart(control)
            } catch {
                logger.error("start-up step failed; serving anyway: \(error)")
            }
        }
        announced.withLock { $0 = true }
        logger.info("ready: announcing", metadata: ["instance": "\(configuration.instance)"])
        client.announceReady()
        await withDiscardingTaskGroup { group in
            if let outbox { group.addTask { await outbox.run() } }
            for task in definition.backgroundTasks {
                group.addTask { await task(control) }
            }
        }
    }

    /// Prunes the dedup store every ten minutes (it was pruned at start).
    private func pruneEveryTenMinutes() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(600))
            if Task.isCancelled { return }
            do { try await pruneDedupStore() } catch { logger.error("pruning the dedup store failed: \(error)") }
        }
    }

    /// Forgets stored replies older than the retention (SQLite store only; memory is bounded).
    private func pruneDedupStore() async throws {
        try await stored?.prune(olderThanHours: configuration.dedupRetentionHours)
    }
}
