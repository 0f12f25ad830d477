/// Lookups the book keeps next to its `calls`, so that no event has to look at every call (only
/// at the accepted ones, whose deadlines move with the balance): the
/// live call of each user and of each telecaller, the ACCEPTED calls, the ring deadlines in
/// order, and the earliest end among the final calls (for the retention sweep).
///
/// ``CallBook/put(_:)`` is the only writer: every stored change of a call goes through it.
struct CallIndex: Sendable {
    /// The live call's id of each user.
    private(set) var liveByUser: [String: String] = [:]
    /// The live call's id of each telecaller.
    private(set) var liveByTelecaller: [String: String] = [:]
    /// Ids of the ACCEPTED calls (their deadlines follow balances, so they are computed when asked).
    private(set) var accepted: Set<String> = []
    /// The earliest `endedAt` of a final call still in the book, `nil` when none is.
    var oldestFinalEnd: Int64?
    /// Ring deadlines of calls stored as RINGING, ascending from `ringHead`; an entry whose call
    /// has moved on (or left the book) is skipped, and dropped once it reaches the head.
    private var rings: [(deadline: Int64, id: String)] = []
    private var ringHead = 0

    /// Records that a call changed from `old` (nil when new to the book) to `new`.
    mutating func update(from old: Call?, to new: Call) {
        if let old, old.status.isLive {
            if liveByUser[old.userId] == old.id { liveByUser[old.userId] = nil }
            if liveByTelecaller[old.telecallerId] == old.id { liveByTelecaller[old.telecallerId] = nil }
            accepted.remove(old.id)
        }
        if new.status.isLive {
            liveByUser[new.userId] = new.id
            liveByTelecaller[new.telecallerId] = new.id
        } else if let ended = new.endedAt {
            oldestFinalEnd = min(oldestFinalEnd ?? ended, ended)
        }
        if new.status == .accepted { accepted.insert(new.id) }
        if new.status == .ringing, old?.status != .ringing || old?.ringDeadline != new.ringDeadline {
            // Deadlines arrive almost always in order: search from the end.
            var position = rings.count
            while position > ringHead, rings[position - 1].deadline > new.ringDeadline { position -= 1 }
            rings.insert((new.ringDeadline, new.id), at: position)
        }
    }

    /// The earliest ring deadline whose call `isRinging(id, deadline)` still confirms.
    func nextRing(_ isRinging: (String, Int64) -> Bool) -> Int64? {
        rings[ringHead...].first { isRinging($0.id, $0.deadline) }?.deadline
    }

    /// Removes and returns the ring entries due at `now` that `isRinging` confirms, in deadline
    /// order; entries it does not confirm are dropped on the way.
    mutating func popRings(dueAt now: Int64, _ isRinging: (String, Int64) -> Bool) -> [(deadline: Int64, id: String)] {
        var due: [(deadline: Int64, id: String)] = []
        while ringHead < rings.count {
            let entry = rings[ringHead]
            let valid = isRinging(entry.id, entry.deadline)
            guard !valid || entry.deadline <= now else { break }
            if valid { due.append(entry) }
            ringHead += 1
        }
        if ringHead > 1024, ringHead * 2 > rings.count {
            rings.removeFirst(ringHead)
            ringHead = 0
        }
        return due
    }
}

/// The book's lookups through its index.
extension CallBook {
    /// Stores `call` in the book and keeps the index current; every change of a call goes here.
    mutating func put(_ call: Call) {
        index.update(from: calls.updateValue(call, forKey: call.id), to: call)
    }

    /// The earliest deadline of a live call, i.e. when the runtime must call `expire(now:)`
    /// next; `nil` when nothing is pending.
    public var nextDeadline: Int64? {
        let accepted = index.accepted.compactMap { calls[$0].flatMap(deadline(of:)) }.min()
        guard let ring = index.nextRing(isRinging) else { return accepted }
        return min(ring, accepted ?? ring)
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
