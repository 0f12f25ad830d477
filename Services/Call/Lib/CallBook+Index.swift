/// Lookups the book keeps next to its `calls`, so that no event has to look at every call (only
/// at the accepted ones, whose deadlines move with the balance): the live call of each user and
/// of each telecaller, the ACCEPTED calls, the ring deadlines in order, and the ends of the final
/// calls in order (for the retention sweep).
///
/// ``CallBook/put(_:)`` is the only writer: every stored change of a call goes through it. Each
/// update returns what it overwrote, so that the book's journal can put it back.
struct CallIndex: Sendable, Equatable {
    /// What one ``update(from:to:)`` overwrote, for ``restore(_:)``.
    struct Overwritten: Sendable {
        /// The live call of the call's user before (the old call's user first).
        fileprivate var liveByUser: [(key: String, value: String?)]
        /// The live call of the call's telecaller before.
        fileprivate var liveByTelecaller: [(key: String, value: String?)]
        /// The call.
        fileprivate var id: String
        /// Whether the call was among the ACCEPTED ones.
        fileprivate var wasAccepted: Bool
        /// The position of the ring deadline inserted, if one was.
        fileprivate var ring: Int?
        /// The position of the final end inserted, if one was.
        fileprivate var final: Int?
    }

    /// The live call's id of each user.
    private(set) var liveByUser: [String: String] = [:]
    /// The live call's id of each telecaller.
    private(set) var liveByTelecaller: [String: String] = [:]
    /// Ids of the ACCEPTED calls (their deadlines follow balances, so they are computed when asked).
    private(set) var accepted: Set<String> = []
    /// Ring deadlines of calls stored as RINGING; an entry whose call has moved on (or left the
    /// book) is skipped, and consumed once it reaches the front.
    var rings = TimeQueue()
    /// `endedAt` of the calls stored as final (a final call never changes again), consumed by
    /// the retention sweep.
    var finals = TimeQueue()

    /// Records that a call changed from `old` (nil when new to the book) to `new`; returns what
    /// it overwrote.
    mutating func update(from old: Call?, to new: Call) -> Overwritten {
        let users = [old?.userId, new.userId].compactMap { $0 }
        let telecallers = [old?.telecallerId, new.telecallerId].compactMap { $0 }
        var overwritten = Overwritten(liveByUser: users.map { (key: $0, value: liveByUser[$0]) },
                                      liveByTelecaller: telecallers.map { (key: $0, value: liveByTelecaller[$0]) },
                                      id: new.id, wasAccepted: accepted.contains(new.id))
        if let old, old.status.isLive {
            if liveByUser[old.userId] == old.id { liveByUser[old.userId] = nil }
            if liveByTelecaller[old.telecallerId] == old.id { liveByTelecaller[old.telecallerId] = nil }
            accepted.remove(old.id)
        }
        if new.status.isLive {
            liveByUser[new.userId] = new.id
            liveByTelecaller[new.telecallerId] = new.id
        } else if let ended = new.endedAt {
            overwritten.final = finals.insert(ended, new.id)
        }
        if new.status == .accepted { accepted.insert(new.id) }
        if new.status == .ringing, old?.status != .ringing || old?.ringDeadline != new.ringDeadline {
            overwritten.ring = rings.insert(new.ringDeadline, new.id)
        }
        return overwritten
    }

    /// Puts back what ``update(from:to:)`` overwrote (the updates after it already undone).
    mutating func restore(_ overwritten: Overwritten) {
        if let ring = overwritten.ring { rings.remove(at: ring) }
        if let final = overwritten.final { finals.remove(at: final) }
        if overwritten.wasAccepted { accepted.insert(overwritten.id) } else { accepted.remove(overwritten.id) }
        for (key, value) in overwritten.liveByUser.reversed() { liveByUser[key] = value }
        for (key, value) in overwritten.liveByTelecaller.reversed() { liveByTelecaller[key] = value }
    }
}

/// The book's lookups through its index.
extension CallBook {
    /// Stores `call` in the book and keeps the index current; every change of a call goes here.
    mutating func put(_ call: Call) {
        let old = calls.updateValue(call, forKey: call.id)
        let overwritten = index.update(from: old, to: call)
        journal.record { book in
            book.calls[call.id] = old
            book.index.restore(overwritten)
        }
    }

    /// The earliest deadline of a live call, i.e. when the runtime must call `expire(now:)`
    /// next; `nil` when nothing is pending.
    public var nextDeadline: Int64? {
        let accepted = index.accepted.compactMap { calls[$0].flatMap(deadline(of:)) }.min()
        guard let ring = index.rings.first(where: { isRinging($0.id, $0.time) }) else { return accepted }
        return min(ring.time, accepted ?? ring.time)
    }

    /// Whether call `id` is RINGING with ring deadline `deadline` (an index entry still holds).
    func isRinging(_ id: String, _ deadline: Int64) -> Bool {
        guard let call = calls[id] else { return false }
        return call.status == .ringing && call.ringDeadline == deadline
    }

    /// The deadline of `call` with its user's current balance.
    func deadline(of call: Call) -> Int64? {
        call.deadline(balance: users[call.userId]?.coinBalance ?? 0)
    }

    /// The live call of user `userId`, if any.
    func liveCall(ofUser userId: String) -> Call? {
        index.liveByUser[userId].flatMap { calls[$0] }
    }

    /// The live call of telecaller `telecallerId`, if any.
    func liveCall(ofTelecaller telecallerId: String) -> Call? {
        index.liveByTelecaller[telecallerId].flatMap { calls[$0] }
    }
}
