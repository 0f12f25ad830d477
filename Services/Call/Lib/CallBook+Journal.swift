/// The book's journaled writes: each records in ``CallBook/journal`` how to put back exactly
/// what it overwrote, so that ``CallBook/undo(to:)`` takes a change back at the cost of what
/// the change touched.
extension CallBook {
    /// Takes back every step recorded since the journal held `mark` entries, newest first.
    mutating func undo(to mark: Int) {
        while journal.count > mark, let entry = journal.removeLast() { entry(&self) }
    }

    /// Adds or replaces user `user` (a seed; billing lowers the balance with ``lowerBalance(of:by:)``).
    mutating func upsert(_ user: UserAccount) {
        let old = users.updateValue(user, forKey: user.id)
        journal.record { $0.users[user.id] = old }
    }

    /// Adds or replaces telecaller `telecaller` (a seed).
    mutating func upsert(_ telecaller: Telecaller) {
        let old = telecallers.updateValue(telecaller, forKey: telecaller.id)
        journal.record { $0.telecallers[telecaller.id] = old }
    }

    /// Lowers user `id`'s balance by `coins`.
    mutating func lowerBalance(of id: String, by coins: Int64) {
        guard let old = users[id] else { return }
        users[id]?.coinBalance -= coins
        journal.record { $0.users[id] = old }
    }

    /// Adds (`connected: true`) or removes sid `sid` of account `id` on `ns`; an account left
    /// with no sid is dropped from the namespace.
    mutating func setSocket(_ sid: String, of id: String, on ns: String, connected: Bool) {
        let hadNamespace = sockets[ns] != nil
        let old = sockets[ns]?[id]
        if connected {
            guard sockets[ns, default: [:]][id, default: []].insert(sid).inserted else { return }
        } else {
            guard sockets[ns]?[id]?.remove(sid) != nil else { return }
            if sockets[ns]?[id]?.isEmpty == true { sockets[ns]?[id] = nil }
        }
        journal.record { book in
            if hadNamespace { book.sockets[ns]?[id] = old } else { book.sockets[ns] = nil }
        }
    }

    /// Marks telecaller `id` as set unavailable (or not); the effect that stores the change, or
    /// none when nothing changed.
    mutating func setUnavailable(_ id: String, _ unavailable: Bool) -> [CallEffect] {
        let changed = unavailable ? self.unavailable.insert(id).inserted : self.unavailable.remove(id) != nil
        guard changed else { return [] }
        journal.record { book in
            if unavailable { book.unavailable.remove(id) } else { book.unavailable.insert(id) }
        }
        return [.availability(telecallerId: id, available: !unavailable)]
    }

    /// Records `presence` as the one last announced for telecaller `id` (`nil`: OFFLINE).
    mutating func setAnnounced(_ presence: Presence?, of id: String) {
        let old = announced[id]
        announced[id] = presence
        journal.record { $0.announced[id] = old }
    }

    /// An attempt by `key` against the rate limiter at `limiter`: whether it is allowed.
    mutating func allow(_ limiter: WritableKeyPath<CallBook, RateLimiter> & Sendable, _ key: String,
                        now: Int64) -> Bool
    {
        let old = self[keyPath: limiter].window(of: key)
        let allowed = self[keyPath: limiter].allow(key, now: now)
        journal.record { $0[keyPath: limiter].restore(old, of: key) }
        return allowed
    }

    /// Forgets the empty windows of every rate limiter (each looks at its keys at most once a
    /// second).
    mutating func pruneLimiters(now: Int64) {
        let limiters: [WritableKeyPath<CallBook, RateLimiter> & Sendable] = [\.initiateLimiter, \.cancelLimiter,
                                                                            \.endLimiter]
        for limiter in limiters {
            guard let pruned = self[keyPath: limiter].prune(now: now) else { continue }
            journal.record { $0[keyPath: limiter].unprune(pruned) }
        }
    }

    /// Consumes the ring deadlines due at `now` and returns the calls still RINGING with them,
    /// in deadline order (entries of calls that moved on are dropped on the way).
    mutating func popRings(dueAt now: Int64) -> [(Call, Int64)] {
        let head = index.rings.head
        var due: [(Call, Int64)] = []
        while let entry = index.rings.front {
            let call = calls[entry.id].flatMap { $0.status == .ringing && $0.ringDeadline == entry.time ? $0 : nil }
            guard call == nil || entry.time <= now else { break }
            index.rings.dropFront()
            if let call { due.append((call, entry.time)) }
        }
        let dropped = index.rings.compact()
        if index.rings.head != head || !dropped.isEmpty {
            journal.record { $0.index.rings.restore(head: head, dropped: dropped) }
        }
        return due
    }

    /// Drops the final calls that ended at or before `cutoff` (the retention sweep).
    mutating func sweepFinalCalls(endedBy cutoff: Int64) {
        let head = index.finals.head
        while let entry = index.finals.front, entry.time <= cutoff {
            index.finals.dropFront()
            guard let call = calls[entry.id], !call.status.isLive, call.endedAt == entry.time else { continue }
            calls[entry.id] = nil
            journal.record { $0.calls[call.id] = call }
        }
        let dropped = index.finals.compact()
        if index.finals.head != head || !dropped.isEmpty {
            journal.record { $0.index.finals.restore(head: head, dropped: dropped) }
        }
    }
}
