import Bus
import Contracts
import Foundation
import GRDB
import Logging
import Synchronization

/// Sends the ``Outbox`` of a service with a database, in the background, through the service's
/// ``BusClient`` (the delivery rules: retry, re-publish for a new instance, give up after the bound).
///
/// - It is woken right after a transaction that enqueued something commits (a transaction
///   observer on the database), and once at start for what an earlier run left.
/// - Each pass sends up to ``batchSize`` rows, oldest first, and waits for their answers. A
///   reply without a header `error` deletes its row (whatever the receiver's ack says: it did
///   answer, and a repeat would get the same answer from its dedup store).
///   A receiver's refusal in its ack (`{success: false, …}`) is logged once.
/// - A reply with `error` `BAD_REQUEST` is final: the request can never be answered otherwise,
///   so its row is deleted with an error line.
/// - Any other failure (`SERVICE_UNAVAILABLE`: nobody answered within the bound; `UNKNOWN_EVENT`,
///   `INTERNAL_ERROR`: the receiver, or an instance of it, could not answer) keeps the row and
///   starts a back-off (1 s, doubling, at most 30 s) before the next pass. It is logged once
///   when the outbox starts failing and once when it recovers, not per retry. A ready instance
///   not heard before of a service whose requests wait (it started or restarted) ends the
///   back-off at once.
///
/// Replies come back on the client's inbox and are taken by the client as they arrive, before
/// the runtime's handler loop, so they never wait behind (or deadlock with) a handler.
final class OutboxDrainer: Sendable {
    /// Rows sent per pass.
    static let batchSize = 100
    /// The first back-off after a failed pass; each further failure doubles it.
    static let firstBackoff = Duration.seconds(1)
    /// The longest back-off.
    static let longestBackoff = Duration.seconds(30)

    private struct State {
        /// The back-off in force: no pass before this instant (unless a new instance appears).
        var retryAt: ContinuousClock.Instant?
        var backoff = OutboxDrainer.firstBackoff
        /// The failure being reported, while the outbox keeps failing.
        var failing: String?
        /// The services whose requests wait for the end of the back-off.
        var waitingFor: Set<String> = []
    }

    private let database: any DatabaseWriter
    private let client: BusClient
    private let logger: Logger
    private let observer: OutboxObserver
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let state = Mutex(State())

    /// A drainer of `database`'s outbox sending through `client` (which must have an inbox); it
    /// starts watching the database's commits at once.
    init(database: any DatabaseWriter, client: BusClient, logger: Logger) {
        self.database = database
        self.client = client
        self.logger = logger
        (wakeups, wakeup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        observer = OutboxObserver(wake: { [wakeup] in wakeup.yield() })
        database.add(transactionObserver: observer, extent: .observerLifetime)
        // What an earlier run left is sent on the first pass.
        wakeup.yield()
    }

    /// A ready instance not known before (``BusClient/Handlers/newInstance``): when requests
    /// wait for its service, the back-off ends at once.
    func heard(_ hello: Hello) {
        let waited = state.withLock { state in
            guard state.waitingFor.contains(hello.service) else { return false }
            state.retryAt = nil
            return true
        }
        if waited { wakeup.yield() }
    }

    /// Sends until cancelled: a pass on every wake-up outside a back-off. At shutdown what
    /// still waits fails with `SHUTTING_DOWN` (the client's ``BusClient/run(_:)`` ends) and its
    /// rows stay for the next run.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await _ in wakeups {
                if Task.isCancelled { break }
                let inBackoff = state.withLock { state in state.retryAt.map { ContinuousClock.now < $0 } ?? false }
                if inBackoff { continue }
                if let backoff = await pass() {
                    let wakeup = self.wakeup
                    group.addTask {
                        try? await Task.sleep(for: backoff)
                        wakeup.yield()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Sends the oldest rows and waits for their answers; deletes the answered ones. Returns
    /// the back-off to wait when some failed.
    private func pass() async -> Duration? {
        let rows: [OutboxRequest]
        do {
            rows = try await database.read { try Outbox.pending($0, limit: Self.batchSize) }
        } catch {
            logger.error("outbox: cannot read the table: \(error)")
            return failed("DATABASE", waiting: 0)
        }
        guard !rows.isEmpty else { return nil }
        // The client's delivery clock runs only while requests are out: an idle outbox costs nothing.
        let results = await send(rows)
        let finalCodes: Set<String> = ["BAD_REQUEST"]
        for (row, result) in zip(rows, results) where result.map(finalCodes.contains) == true {
            logger.error("outbox: request refused as malformed; dropped",
                         metadata: ["id": "\(row.id)", "service": "\(row.service)", "event": "\(row.event)"])
        }
        let answered = zip(rows, results).compactMap { $1 == nil || $1.map(finalCodes.contains) == true ? $0.id : nil }
        do {
            try await database.write { try Outbox.remove($0, ids: answered) }
        } catch {
            logger.error("outbox: cannot delete answered requests (they will be sent again): \(error)")
        }
        let failures = zip(rows, results).filter { $1 != nil && !finalCodes.contains($1!) }
        guard let failure = failures.first?.1 else {
            recovered()
            // There may be more than one batch.
            if rows.count == Self.batchSize { wakeup.yield() }
            return nil
        }
        if failure == DeliveryFailure.closed.code { return nil }
        state.withLock { $0.waitingFor = Set(failures.map(\.0.service)) }
        return failed(failure, waiting: rows.count - answered.count)
    }

    /// Publishes every row, oldest first, and waits for each one's outcome: `nil` when it was
    /// answered, else the failure code.
    private func send(_ rows: [OutboxRequest]) async -> [String?] {
        await withCheckedContinuation { (done: CheckedContinuation<[String?], Never>) in
            let batch = OutboxBatch(count: rows.count, done: done)
            for (index, row) in rows.enumerated() {
                client.send(row.envelope(from: client.instance), service: row.service) { result in
                    switch result {
                    case .success(let reply):
                        self.noteRefusal(in: reply, of: row)
                        batch.finish(index, with: reply.header.error)
                    case .failure(let failure): batch.finish(index, with: failure.code)
                    }
                }
            }
        }
    }

    /// Logs a receiver's `{success: false}` answer (the request is done all the same).
    private func noteRefusal(in reply: Envelope, of row: OutboxRequest) {
        guard let instructions = try? reply.decodeBody(as: [Instruction].self) else { return }
        for case .ack(let ack) in instructions where ack.args.first?["success"]?.boolValue == false {
            logger.warning("outbox: the receiver refused a request",
                           metadata: ["id": "\(row.id)", "service": "\(row.service)", "event": "\(row.event)",
                                      "answer": "\(ack.args.first?.jsonText ?? "")"])
        }
    }

    /// Keeps the rows and returns the back-off to wait; logs once when the outbox starts failing.
    private func failed(_ code: String, waiting: Int) -> Duration {
        let (first, backoff) = state.withLock { state -> (Bool, Duration) in
            let first = state.failing == nil
            let backoff = state.backoff
            state.failing = code
            state.retryAt = .now + backoff
            state.backoff = min(backoff * 2, Self.longestBackoff)
            return (first, backoff)
        }
        if first {
            logger.warning("outbox: requests not answered; kept and retried with back-off",
                           metadata: ["error": "\(code)", "waiting": "\(waiting)"])
        }
        return backoff
    }

    /// Ends a failure: the back-off starts from the beginning again.
    private func recovered() {
        let was = state.withLock { state -> String? in
            defer { state = State() }
            return state.failing
        }
        if let was { logger.info("outbox: requests answered again", metadata: ["after": "\(was)"]) }
    }
}

/// The outcomes of one pass's requests, handed over once the last one is known.
private final class OutboxBatch: Sendable {
    private let outcomes: Mutex<(codes: [String?], remaining: Int)>
    private let done: CheckedContinuation<[String?], Never>

    init(count: Int, done: CheckedContinuation<[String?], Never>) {
        outcomes = Mutex((Array(repeating: nil, count: count), count))
        self.done = done
    }

    /// Notes request `index`'s outcome (`nil`: answered; else the failure code).
    func finish(_ index: Int, with code: String?) {
        let all = outcomes.withLock { state -> [String?]? in
            state.codes[index] = code
            state.remaining -= 1
            return state.remaining == 0 ? state.codes : nil
        }
        if let all { done.resume(returning: all) }
    }
}

/// Wakes the drainer when a transaction that inserted into the outbox commits.
final class OutboxObserver: TransactionObserver, Sendable {
    private let inserted = Mutex(false)
    private let wake: @Sendable () -> Void

    init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind { return table == Outbox.table }
        return false
    }

    func databaseDidChange(with event: DatabaseEvent) {
        inserted.withLock { $0 = true }
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidCommit(_ db: Database) {
        if inserted.withLock({ state in defer { state = false }; return state }) { wake() }
    }

    func databaseDidRollback(_ db: Database) {
        inserted.withLock { $0 = false }
    }
}
