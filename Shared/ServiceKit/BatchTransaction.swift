import Foundation
import GRDB
import Synchronization

/// One SQLite transaction shared by the events of a batch (group commit): the first write of
/// the batch opens it on the database's writer, every ``write(_:)`` runs in a savepoint of its
/// own inside it, and ``finish()`` commits them all at once. A body that throws rolls back its
/// savepoint alone (and runs the undo work it registered); the others still commit.
///
/// The writer stays with this transaction from the first write until ``finish()``: other
/// writes of the process (the outbox, timers) wait for the batch. Reads through ``read(_:)``
/// see the batch's writes so far, as later events of the batch must.
final class BatchTransaction: Sendable {
    /// Why the batch's transaction did not commit.
    enum Failure: Error {
        /// ``write(_:)`` or ``read(_:)`` after ``finish()``.
        case finished
    }

    /// A caller's work, and how to tell it that the work will never run.
    private struct Job: Sendable {
        let run: @Sendable (Database) -> Void
        let fail: @Sendable (any Error) -> Void
    }

    private struct State {
        var opened = false
        var finished = false
        var jobs: [Job] = []
        /// Set by the writer when the transaction ended: `nil` when it committed.
        var outcome: Result<Void, any Error>?
        var outcomeWaiter: CheckedContinuation<Result<Void, any Error>, Never>?
    }

    private let database: any DatabaseWriter
    private let state = Mutex(State())
    private let signal = DispatchSemaphore(value: 0)

    /// A batch transaction on `database`, not opened until the first write or read.
    init(database: any DatabaseWriter) {
        self.database = database
    }

    /// `true` once a write or read opened the transaction.
    var isOpen: Bool { state.withLock { $0.opened } }

    /// Runs `body` in an undoable savepoint of the batch's transaction: a throw rolls back the
    /// savepoint, runs the `onRollback`s registered in it
    /// (``GRDB/Database/afterWrite(onCommit:onRollback:)``) and is rethrown; the hooks of a
    /// released savepoint end with the transaction (rolled back too when the commit fails).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await run { db in try db.inUndoableSavepoint { try body(db) } }
    }

    /// Runs `body` on the batch's connection, seeing the batch's writes so far.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await run(body)
    }

    /// Commits what the batch wrote (nothing to do if nothing was); returns the commit's error,
    /// after which every write of the batch is rolled back.
    func finish() async -> (any Error)? {
        let opened = state.withLock { state -> Bool in
            state.finished = true
            return state.opened
        }
        guard opened else { return nil }
        signal.signal()
        let outcome = await withCheckedContinuation { (waiter: CheckedContinuation<Result<Void, any Error>, Never>) in
            let ready = state.withLock { state -> Result<Void, any Error>? in
                if let outcome = state.outcome { return outcome }
                state.outcomeWaiter = waiter
                return nil
            }
            if let ready { waiter.resume(returning: ready) }
        }
        if case .failure(let error) = outcome { return error }
        return nil
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<T, any Error>) in
            let job = Job(run: { db in waiter.resume(with: Result { try body(db) }) },
                          fail: { error in waiter.resume(throwing: error) })
            let (accepted, open) = state.withLock { state -> (Bool, Bool) in
                guard !state.finished else { return (false, false) }
                state.jobs.append(job)
                defer { state.opened = true }
                return (true, !state.opened)
            }
            guard accepted else { return waiter.resume(throwing: Failure.finished) }
            if open { start() } else { signal.signal() }
        }
    }

    /// Takes the writer and serves jobs in one transaction until ``finish()``.
    private func start() {
        let database = self.database
        Task.detached { [self] in
            let result: Result<Void, any Error>
            do {
                try await database.writeWithoutTransaction { db in try self.serve(db) }
                result = .success(())
            } catch {
                failPending(error)
                result = .failure(error)
            }
            let waiter = state.withLock { state -> CheckedContinuation<Result<Void, any Error>, Never>? in
                state.outcome = result
                defer { state.outcomeWaiter = nil }
                return state.outcomeWaiter
            }
            waiter?.resume(returning: result)
        }
    }

    /// On the writer: BEGIN, every job in order as it comes, COMMIT once finished (ROLLBACK if
    /// the commit fails). Blocks the writer's thread between jobs, which is the point.
    private func serve(_ db: Database) throws {
        try db.beginTransaction(.immediate)
        while true {
            let (jobs, finished) = state.withLock { state -> ([Job], Bool) in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return (state.jobs, state.finished)
            }
            for job in jobs { job.run(db) }
            if finished && jobs.isEmpty { break }
            if jobs.isEmpty { signal.wait() }
        }
        do {
            try db.commit()
        } catch {
            try? db.rollback()
            throw error
        }
    }

    /// Fails the jobs that never ran because the transaction could not begin; later ones are
    /// refused as after ``finish()``.
    private func failPending(_ error: any Error) {
        let jobs = state.withLock { state -> [Job] in
            state.finished = true
            defer { state.jobs.removeAll() }
            return state.jobs
        }
        for job in jobs { job.fail(error) }
    }
}
