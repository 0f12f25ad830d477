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
    let started = Clock.millisecondsSinceEpoch()
    /// Heard its own hello back: the subscriptions are live.
    let ready = Mutex(false)
    /// Start-up done and announced: events are answered.
    let announced = Mutex(false)
    /// The processes heard in hello, for ``ServiceControl`` and the gone handlers.
    let directory = Mutex(ServiceDirectory())
    private let clockStart = ContinuousClock.now
    private let connectionBox = Mutex<BusConnection?>(nil)

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
        } else {
            database = nil
            stored = nil
        }
        memory = MemoryDedupStore(capacity: configuration.dedupCapacity)
    }

    /// `true` once the service heard its own hello back, ran its start-up and announces itself.
    public var isReady: Bool { announced.withLock { $0 } }

    /// Milliseconds on a monotonic clock, for the directory.
    var monotonicNow: Int64 {
        let elapsed = ContinuousClock.now - clockStart
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// Connects, serves until graceful shutdown, then lets queued replies go out and closes.
    public func run() async throws {
        let connection = try BusConnection(configuration: configuration.bus, logger: logger)
        connectionBox.withLock { $0 = connection }
        let outbox = database.map { OutboxDrainer(database: $0, connection: connection,
                                                  instance: configuration.instance, logger: logger) }
        connection.subscribe(.exact(Topic.service(definition.name)))
        if !definition.lifeHandlers.isEmpty { connection.subscribe(.exact(Topic.life)) }
        if let outbox { connection.subscribe(.exact(outbox.inbox)) }
        connection.subscribe(.exact(Topic.hello))
        try await pruneDedupStore()
        logger.info("starting", metadata: ["instance": "\(configuration.instance)",
                                           "handles": "\(definition.routes.map(\.description))"])
        // Inbox replies are taken as they arrive; everything else waits for the handler loop.
        let queue = MessageQueue()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.announce(on: connection) }
                group.addTask { await self.start(on: connection, outbox: outbox) }
                group.addTask {
                    for await batch in connection.batches {
                        queue.append(outbox.map { outbox in batch.filter { !outbox.take($0) } } ?? batch)
                    }
                    queue.finish()
                }
                group.addTask {
                    for await _ in queue.wakeups {
                        while !Task.isCancelled, let batch = queue.take(upTo: self.configuration.batchLimit) {
                            // A task of its own: shutdown cancels the loop, never a half-done batch.
                            await Task { await self.handle(batch, on: connection) }.value
                        }
                        if Task.isCancelled { break }
                    }
                }
            }
        }
        await connection.close()
        logger.info("stopped", metadata: ["instance": "\(configuration.instance)"])
    }

    /// Once the subscriptions are live: runs the start-up step, announces the service, and
    /// starts the background tasks and the outbox.
    private func start(on connection: BusConnection, outbox: OutboxDrainer?) async {
        while !ready.withLock({ $0 }) {
            if Task.isCancelled { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let control = ServiceControl(instance: configuration.instance, logger: logger, database: database,
                                     connection: connection, runtime: self)
        if let onStart = definition.onStart {
            do {
                try await onStart(control)
            } catch {
                logger.error("start-up step failed; serving anyway: \(error)")
            }
        }
        announced.withLock { $0 = true }
        logger.info("ready: announcing", metadata: ["instance": "\(configuration.instance)"])
        connection.publish(helloEnvelope(ready: true))
        await withDiscardingTaskGroup { group in
            if let outbox { group.addTask { await outbox.run() } }
            for task in definition.backgroundTasks {
                group.addTask { await task(control) }
            }
        }
    }

    /// Probes every 100 ms until announced, then says hello every interval; each time, tells
    /// the gone handlers about silent instances; prunes the dedup store every ten minutes.
    private func announce(on connection: BusConnection) async {
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled {
            let isReady = self.isReady
            connection.publish(helloEnvelope(ready: isReady))
            let pause = isReady ? configuration.helloIntervalMilliseconds : 100
            try? await Task.sleep(for: .milliseconds(pause))
            await reportGoneInstances(on: connection)
            if ContinuousClock.now - lastPrune > .seconds(600) {
                lastPrune = .now
                do { try await pruneDedupStore() } catch { logger.error("pruning the dedup store failed: \(error)") }
            }
        }
    }

    /// Forgets stored replies older than the retention (SQLite store only; memory is bounded).
    private func pruneDedupStore() async throws {
        try await stored?.prune(olderThanHours: configuration.dedupRetentionHours)
    }

    func helloEnvelope(ready: Bool) -> Envelope {
        let hello = Hello(service: definition.name, instance: configuration.instance, started: started,
                          ready: ready, handles: definition.routes,
                          life: definition.lifeHandlers.keys.sorted { $0.rawValue < $1.rawValue },
                          interval: configuration.helloIntervalMilliseconds)
        let header = BusHeader(type: .hello, from: configuration.instance)
        // A Hello always encodes.
        return (try? Envelope(topic: Topic.hello, header: header, encoding: hello))
            ?? Envelope(topic: Topic.hello, header: header, body: Data("{}".utf8))
    }
}
