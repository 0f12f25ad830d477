import Dispatch
import Foundation
import GRDB
import Synchronization

/// One SQLite transaction shared by the messages of a batch (group commit), and the executor the
/// batch's work runs on.
///
/// ``run(on:_:)`` runs the batch's work as a task that prefers this executor, whose jobs run on
/// one thread of the batch's own. The first ``write(_:)`` takes the database's writer on that
/// thread and keeps it until the work returned: from then on every write and read of the batch's
/// handlers uses the connection at once, on the thread that holds it, instead of handing its work
/// to the writer's thread and waiting to be resumed (two thread hand-offs per event, 15–20% of
/// the chat service's CPU). Work of the batch that runs elsewhere (in an actor, say) hands its
/// access to that thread and waits for it.
///
/// The first write opens the transaction (`BEGIN IMMEDIATE`), every ``write(_:)`` runs in an
/// undoable savepoint of its own inside it, and the transaction commits once the work returned. A
/// body that throws rolls back its savepoint alone (and runs the undo work it registered); the
/// others still commit. From the first write on, other writes of the process (the outbox,
/// timers) wait for the batch; ``read(_:)`` sees the batch's writes so far, as later events of
/// the batch must, and before the first write it reads from the pool's readers.
final class BatchTransaction: TaskExecutor, Sendable {
    /// Why a database access of the batch could not be carried out.
    enum Failure: Error {
        /// ``write(_:)`` or ``read(_:)`` after the batch's work returned.
        case finished
        /// ``write(_:)`` after SQLite rolled the batch's transaction back (an error that aborts a
        /// transaction): nothing more of the batch is written, and its commit fails.
        case aborted
    }

    /// What the batch's thread runs: a job of the batch's tasks, or a database access that needs
    /// the writer (taken for it when the thread does not hold it yet).
    private enum Work: Sendable {
        case job(UnownedJob)
        case access(run: @Sendable (Database) -> Void, fail: @Sendable (any Error) -> Void)
    }

    private struct State {
        var work: [Work] = []
        /// The batch's thread, while the work runs.
        var thread: pthread_t?
        /// That thread holds the writer.
        var holding = false
        /// The batch's work returned: the thread commits once nothing else waits.
        var done = false
        /// The writer could not be taken: every access that needs it fails with this.
        var refusal: (any Error)?
    }

    private let database: any DatabaseWriter
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)
    /// The writer's connection while the batch's thread holds it: set and read only on that
    /// thread (``State/thread``), which is what makes the access safe.
    private nonisolated(unsafe) var connection: Database?
    /// A write began the transaction (on that same thread): it must commit, and a commit of a
    /// transaction that something aborted meanwhile fails as it should.
    private nonisolated(unsafe) var began = false

    private init(database: any DatabaseWriter) {
        self.database = database
    }

    /// Runs `body` with a batch transaction on `database` and commits what it wrote; returns its
    /// value and the error that kept its writes from committing (the commit failed, or the
    /// writer could not be taken), `nil` when they committed or there were none.
    static func run<T: Sendable>(on database: any DatabaseWriter,
                                 _ body: @escaping @Sendable (BatchTransaction) async -> T) async
        -> (value: T, failure: (any Error)?)
    {
        let transaction = BatchTransaction(database: database)
        let result = ResultBox<T>()
        // A serial queue of its own: its thread may wait for the writer or for the batch's tasks
        // without holding up the threads that run other work.
        let thread = DispatchQueue(label: "servicekit.batch")
        let failure = await withCheckedContinuation { (waiter: CheckedContinuation<(any Error)?, Never>) in
            thread.async {
                waiter.resume(returning: transaction.serve { transaction in result.set(await body(transaction)) })
            }
        }
        // The thread runs until the body returned, so the value is there.
        return (result.take()!, failure)
    }

    /// Runs `body` in an undoable savepoint of the batch's transaction: a throw rolls back the
    /// savepoint, runs the `onRollback`s registered in it
    /// (``GRDB/Database/afterWrite(onCommit:onRollback:)``) and is rethrown; the hooks of a
    /// released savepoint end with the transaction (rolled back too when the commit fails).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let write: @Sendable (Database) throws -> T = { [self] db in
            if !began {
                try db.beginTransaction(.immediate)
                began = true
            } else if !db.isInsideTransaction {
                throw Failure.aborted
            }
            return try db.inUndoableSavepoint { try body(db) }
        }
        if case .holding(let db) = try place() { return try write(db) }
        return try await access(write)
    }

    /// Runs `body` on the batch's connection once a write took it, seeing the batch's writes so
    /// far; before that, in a read of the pool (on the batch's thread, at once: the thread waits
    /// for a reader rather than handing the read to another thread).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        switch try place() {
        case .holding(let db): return try body(db)
        case .batchThread: return try readFromPool(body)
        case .elsewhere:
            if state.withLock({ $0.holding }) { return try await access(body) }
            return try await database.read(body)
        }
    }

    /// Takes the batch's tasks' jobs.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let taken = state.withLock { state -> Bool in
            guard state.thread != nil else { return false }
            state.work.append(.job(job))
            return true
        }
        if taken {
            wakeup.signal()
            return
        }
        // A task that outlived the batch (started in it and not awaited) goes on elsewhere.
        let executor = asUnownedTaskExecutor()
        DispatchQueue.global().async { job.runSynchronously(on: executor) }
    }

    /// Where the calling code runs, for a database access.
    private enum Place {
        /// On the batch's thread, which holds the writer's connection.
        case holding(Database)
        /// On the batch's thread, which does not hold the writer yet.
        case batchThread
        /// On another thread.
        case elsewhere
    }

    /// Where the calling code runs; throws when the writer could not be taken.
    private func place() throws -> Place {
        let (onThread, refusal) = state.withLock { state -> (Bool, (any Error)?) in
            (state.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false, state.refusal)
        }
        if let refusal { throw refusal }
        guard onThread else { return .elsewhere }
        return connection.map(Place.holding) ?? .batchThread
    }

    /// A read of the pool, synchronous: on the batch's thread before it holds the writer.
    private func readFromPool<T>(_ body: (Database) throws -> T) throws -> T {
        try database.read(body)
    }

    /// Hands `body` to the batch's thread, which takes the writer for it if it has not yet, and
    /// waits for its result.
    private func access<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<T, any Error>) in
            let refusal = state.withLock { state -> (any Error)? in
                if let refusal = state.refusal { return refusal }
                guard state.thread != nil else { return Failure.finished }
                state.work.append(.access(run: { db in waiter.resume(with: Result { try body(db) }) },
                                          fail: { error in waiter.resume(throwing: error) }))
                return nil
            }
            if let refusal { waiter.resume(throwing: refusal) } else { wakeup.signal() }
        }
    }

    /// On the batch's thread: runs `body` as a task on this executor and every job as it comes;
    /// at the first access, takes the writer and goes on holding it until the body returned and
    /// nothing waits; then commits what was written (ROLLBACK if the commit fails). Returns the
    /// error that kept the batch's writes from committing.
    private func serve(_ body: @escaping @Sendable (BatchTransaction) async -> Void) -> (any Error)? {
        state.withLock { $0.thread = pthread_self() }
        Task(executorPreference: self) {
            await body(self)
            self.state.withLock { $0.done = true }
            self.wakeup.signal()
        }
        guard drain(nil) else { return nil }
        do {
            try database.writeWithoutTransaction { db in
                connection = db
                state.withLock { $0.holding = true }
                defer { connection = nil }
                _ = drain(db)
                guard began else { return }
                do {
                    try db.commit()
                } catch {
                    try? db.rollback()
                    throw error
                }
            }
            return nil
        } catch {
            // Either the commit failed (the batch is over), or the writer was never taken: the
            // accesses waiting for it, and all that come later, fail with the error.
            let waiting = state.withLock { state -> [Work] in
                state.refusal = error
                defer { state.work.removeAll { if case .access = $0 { true } else { false } } }
                return state.work
            }
            for case .access(_, let fail) in waiting { fail(error) }
            _ = drain(nil)
            return error
        }
    }

    /// Runs what comes for the batch's thread, in order, until the body returned and nothing
    /// waits (returns `false`), or, without a connection, until an access needs the writer
    /// (returns `true`; that access and what came after it stay first in line).
    private func drain(_ db: Database?) -> Bool {
        let executor = asUnownedTaskExecutor()
        while true {
            let work = state.withLock { state -> [Work]? in
                if state.work.isEmpty {
                    guard state.done else { return [] }
                    state.thread = nil
                    return nil
                }
                defer { state.work.removeAll(keepingCapacity: true) }
                return state.work
            }
            guard let work else { return false }
            if work.isEmpty { wakeup.wait() }
            for (index, item) in work.enumerated() {
                switch item {
                case .job(let job):
                    job.runSynchronously(on: executor)
                case .access(let run, _):
                    guard let db else {
                        state.withLock { $0.work.insert(contentsOf: work[index...], at: 0) }
                        return true
                    }
                    run(db)
                }
            }
        }
    }
}

/// The value of a batch's work, handed from the thread that ran it.
private final class ResultBox<T: Sendable>: Sendable {
    private let value = Mutex<T?>(nil)

    func set(_ result: T) { value.withLock { $0 = result } }

    func take() -> T? { value.withLock { $0.take() } }
}
