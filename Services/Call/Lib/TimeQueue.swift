/// `(time, id)` entries in ascending time order, consumed from the front: the ring deadlines
/// and the ends of final calls (``CallIndex``). Times arrive almost always in order, so an
/// insertion searches from the end and a consumed entry is only stepped over; the consumed
/// front is dropped once it is both large and most of the array. Every change can be undone
/// exactly (``remove(at:)`` after ``insert(_:_:)``, ``restore(head:dropped:)`` after
/// ``dropFront()`` and ``compact()``).
struct TimeQueue: Sendable, Equatable {
    /// One entry: a time (ms since the epoch) and a call id.
    struct Entry: Sendable, Equatable {
        /// When.
        var time: Int64
        /// The call.
        var id: String
    }

    /// Every entry, consumed ones (before ``head``) included.
    private var entries: [Entry] = []
    /// The position of the first entry not consumed yet.
    private(set) var head = 0

    /// The first entry not consumed yet.
    var front: Entry? {
        head < entries.count ? entries[head] : nil
    }

    /// The first entry not consumed yet that `isValid` confirms.
    func first(where isValid: (Entry) -> Bool) -> Entry? {
        entries[head...].first(where: isValid)
    }

    /// Inserts `(time, id)` after every entry whose time is the same or earlier; returns its
    /// position (for ``remove(at:)``).
    mutating func insert(_ time: Int64, _ id: String) -> Int {
        var position = entries.count
        while position > head, entries[position - 1].time > time { position -= 1 }
        entries.insert(Entry(time: time, id: id), at: position)
        return position
    }

    /// Removes the entry at `position`: undoes the ``insert(_:_:)`` that returned it.
    mutating func remove(at position: Int) {
        entries.remove(at: position)
    }

    /// Consumes the front entry.
    mutating func dropFront() {
        head += 1
    }

    /// Drops the consumed entries once there are over 1,024 of them and they are most of the
    /// array (so the cost is shared by the entries consumed); returns what it dropped.
    mutating func compact() -> [Entry] {
        guard head > 1024, head * 2 > entries.count else { return [] }
        let dropped = Array(entries[..<head])
        entries.removeFirst(head)
        head = 0
        return dropped
    }

    /// Puts back the consumed entries `dropped` by ``compact()`` and the front at `head`.
    mutating func restore(head: Int, dropped: [Entry]) {
        entries.insert(contentsOf: dropped, at: 0)
        self.head = head
    }
}
