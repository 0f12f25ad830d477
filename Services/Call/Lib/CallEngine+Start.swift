import Contracts
import Foundation
import GRDB
import Logging
import ServiceKit

extension CallEngine {
    // MARK: Start-up and the timer

    /// Start-up, once ServiceKit mirrored the edges: loads accounts, calls and availability,
    /// replays the sockets the mirror handed on (the initial state and what followed), then
    /// reconciles (overdue deadlines fire, calls whose owning socket is gone end) and sends the
    /// outcome as a durable emit.
    func start(_ control: ServiceControl) async throws {
        guard let database = control.database else { return }
        let loaded = try await load(from: database)
        let instructions = try await finishRebuild(loaded, through: control.write)
        control.logger.info("call book loaded", metadata: [
            "users": "\(loaded.users.count)", "telecallers": "\(loaded.telecallers.count)",
            "live calls": "\(loaded.calls.filter(\.status.isLive).count)", "unavailable": "\(loaded.unavailable.count)",
            "instructions": "\(instructions.count)",
        ])
    }

    /// What start-up reads from the database.
    struct Loaded: Sendable {
        var users: [UserAccount]
        var telecallers: [Telecaller]
        var calls: [Call]
        var unavailable: Set<String>
    }

    /// Every account, the live calls and the final ones still within the retention, and the
    /// telecallers set unavailable.
    func load(from database: any DatabaseWriter) async throws -> Loaded {
        let since = clock() - settings.book.retentionMs
        return try await database.read { db in
            Loaded(users: try CallStore.users(db), telecallers: try CallStore.telecallers(db),
                   calls: try CallStore.calls(db, endedSince: since),
                   unavailable: try CallStore.unavailableTelecallers(db))
        }
    }

    /// Ends the rebuild in one write through `write` (``ServiceControl/write(_:)``: its
    /// instructions are a durable emit): a fresh book from `loaded`, the held-back socket updates
    /// replayed, then `reconcile`. Socket updates are applied directly from then on.
    func finishRebuild(_ loaded: Loaded, through write: InstructionsWrite) async throws -> [Instruction] {
        try await write { db in
            try self.change(db) { state, now in
                state.reset(to: CallBook(configuration: self.settings.book, users: loaded.users,
                                         telecallers: loaded.telecallers, calls: loaded.calls,
                                         unavailable: loaded.unavailable, makeToken: self.settings.tokens.maker))
                let heldBack = self.rebuild.withLock { rebuild in
                    rebuild.active = false
                    defer { rebuild.heldBack = [] }
                    return rebuild.heldBack
                }
                var outcome = CallOutcome()
                for change in heldBack.flatMap(\.changes) { outcome.append(state.apply(change, now: now)) }
                outcome.append(state.book.reconcile(now: now))
                return outcome
            }.instructions
        }
    }

    /// The deadline timer: sleeps until the book's next deadline (at most a second, woken early
    /// when a call goes live with a deadline before that), then settles what is due in a write
    /// whose instructions are a durable emit (stored with the settlement, sent once it committed,
    /// or by the next start when the process dies in between).
    func runTimer(_ control: ServiceControl) async {
        guard control.database != nil else { return }
        while !Task.isCancelled {
            do {
                if try await settleDue(through: control.write) != nil { continue }
            } catch {
                control.logger.error("settling deadlines failed: \(error)")
            }
            let next = state.withLock { $0.book.nextDeadline }
            let now = clock()
            let wait = min(1000, max(1, (next ?? now + 1000) - now))
            await waker.wait(upTo: .milliseconds(wait), until: now + wait)
        }
    }

    /// Settles the deadlines that are due in one write through `write`; its instructions, or
    /// `nil` when none is due.
    func settleDue(through write: InstructionsWrite) async throws -> [Instruction]? {
        guard let next = state.withLock({ $0.book.nextDeadline }), next <= clock() else { return nil }
        return try await write { db in
            try self.change(db) { state, now in state.book.expire(now: now) }.instructions
        }
    }
}
