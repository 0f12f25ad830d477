import GRDB
import Synchronization

extension Database {
    /// Registers work for when the write running now ends, for a handler that keeps state in
    /// memory beside the database and must put it back when its writes do not commit.
    ///
    /// The hooks belong to the innermost undoable savepoint open on this connection: the one
    /// ``Context/write(_:)`` runs its body and the event's dedup record in (inside the batch's
    /// transaction, or inside a transaction of its own), or one opened with
    /// ``inUndoableSavepoint(_:)``. Outside any (a timer's `database.write`, say), they belong to
    /// the current transaction, or to the next one when none is open, as GRDB's
    /// `afterNextTransaction` does.
    ///
    /// - `onRollback` runs when that savepoint is rolled back, for whatever reason (the body threw,
    ///   the dedup record failed, the release failed), at once, before the error reaches the
    ///   caller; or, once the savepoint was released, when the transaction holding it rolls back
    ///   (a batch whose commit failed, say). The `onRollback`s that run together run newest
    ///   first, so each finds the state its registration left.
    /// - `onCommit` runs after the transaction holding the write committed, in registration
    ///   order; never for a write whose savepoint was rolled back.
    ///
    /// Exactly one of the two runs, once, on the writer's thread; they get no database and must
    /// not touch it. A plain GRDB `inSavepoint` carries no hooks of its own: what is registered
    /// inside it belongs to the savepoint around it, so a step that may roll back alone while
    /// the write goes on must use ``inUndoableSavepoint(_:)``.
    public func afterWrite(onCommit: @escaping @Sendable () -> Void = {}, onRollback: @escaping @Sendable () -> Void) {
        let key = ObjectIdentifier(self)
        WriteHooks.shared.register(WriteHooks.Hook(onCommit: onCommit, onRollback: onRollback), for: key)
        // One observer per registration, each ending every hook of the connection: the first
        // to be told of the transaction's end does the work, the others find nothing.
        afterNextTransaction(onCommit: { _ in WriteHooks.shared.end(key, committed: true) },
                             onRollback: { _ in WriteHooks.shared.end(key, committed: false) })
    }

    /// Runs `body` in a savepoint carrying its own ``afterWrite(onCommit:onRollback:)`` hooks
    /// (inside a transaction it opens when none is open). If the savepoint is rolled back, the
    /// `onRollback`s registered in it run at once, newest first, and the error is rethrown; if it
    /// is released, its hooks join the savepoint or transaction around it.
    public func inUndoableSavepoint<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        guard isInsideTransaction else {
            try inTransaction {
                result = try inUndoableSavepoint(body)
                return .commit
            }
            // `inTransaction` returns only after the closure set `result`.
            return result!
        }
        let key = ObjectIdentifier(self)
        WriteHooks.shared.open(key)
        do {
            try inSavepoint {
                result = try body()
                return .commit
            }
        } catch {
            for hook in WriteHooks.shared.close(key, released: false).reversed() { hook.onRollback() }
            throw error
        }
        _ = WriteHooks.shared.close(key, released: true)
        // `inSavepoint` returns only after the closure set `result`.
        return result!
    }
}

/// The hooks of ``Database/afterWrite(onCommit:onRollback:)``, per connection: those of each
/// undoable savepoint open on it, and those already released into its transaction.
final class WriteHooks: Sendable {
    /// One registration.
    struct Hook: Sendable {
        let onCommit: @Sendable () -> Void
        let onRollback: @Sendable () -> Void
    }

    private struct Connection {
        /// Released into the transaction, oldest first.
        var transaction: [Hook] = []
        /// One list per undoable savepoint open, innermost last.
        var savepoints: [[Hook]] = []

        var isEmpty: Bool { transaction.isEmpty && savepoints.isEmpty }
    }

    /// The hooks of every connection of the process.
    static let shared = WriteHooks()

    private let connections = Mutex<[ObjectIdentifier: Connection]>([:])

    /// Adds `hook` to the innermost undoable savepoint open on `key`, else to its transaction.
    func register(_ hook: Hook, for key: ObjectIdentifier) {
        connections.withLock { connections in
            var connection = connections[key, default: Connection()]
            if connection.savepoints.isEmpty {
                connection.transaction.append(hook)
            } else {
                connection.savepoints[connection.savepoints.count - 1].append(hook)
            }
            connections[key] = connection
        }
    }

    /// An undoable savepoint opens on `key`.
    func open(_ key: ObjectIdentifier) {
        connections.withLock { $0[key, default: Connection()].savepoints.append([]) }
    }

    /// The innermost undoable savepoint of `key` ends: released, its hooks join the one around it
    /// (or the transaction); rolled back, its hooks are returned, oldest first, for the caller
    /// to undo.
    func close(_ key: ObjectIdentifier, released: Bool) -> [Hook] {
        connections.withLock { connections in
            guard var connection = connections[key], let hooks = connection.savepoints.popLast() else { return [] }
            if released {
                if connection.savepoints.isEmpty {
                    connection.transaction += hooks
                } else {
                    connection.savepoints[connection.savepoints.count - 1] += hooks
                }
            }
            connections[key] = connection.isEmpty ? nil : connection
            return released ? [] : hooks
        }
    }

    /// The transaction of `key` ended: every hook registered on the connection commits, in
    /// order, or rolls back, newest first (those of savepoints still open too: their work was
    /// in the transaction).
    func end(_ key: ObjectIdentifier, committed: Bool) {
        let hooks = connections.withLock { connections -> [Hook] in
            guard var connection = connections[key] else { return [] }
            let hooks = connection.transaction + connection.savepoints.joined()
            connection.transaction = []
            connection.savepoints = connection.savepoints.map { _ in [] }
            connections[key] = connection.isEmpty ? nil : connection
            return hooks
        }
        if committed {
            for hook in hooks { hook.onCommit() }
        } else {
            for hook in hooks.reversed() { hook.onRollback() }
        }
    }
}
