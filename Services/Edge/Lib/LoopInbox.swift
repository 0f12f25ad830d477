import Synchronization

/// The instruction lists handed to one ``EdgeLoop`` and not carried out yet, in the order they
/// came from the bus.
///
/// The bus pump puts every list in and schedules one task only when the inbox was empty: the
/// lists that arrive before the loop gets to them are carried out in that one task and share its
/// writes (``EdgeLoop/carryOutInbox()``). The loop also looks in while it flushes, so a list that
/// arrived meanwhile joins the frames of the sockets not written yet. Nothing waits for lists.
final class LoopInbox: Sendable {
    /// A list, and the request of this loop it answers (``EdgeLoop/carryOut(_:answering:)``).
    typealias Item = (list: InstructionList, request: OutstandingRequest?)

    private let items = Mutex<[Item]>([])
    /// `true` while `items` holds something: read without the lock on each look.
    private let filled = Atomic<Bool>(false)

    /// An empty inbox.
    init() {}

    /// Adds a list; `true` when the inbox was empty, i.e. no task to carry it out is scheduled yet.
    func put(_ item: Item) -> Bool {
        items.withLock { items in
            items.append(item)
            guard items.count == 1 else { return false }
            filled.store(true, ordering: .releasing)
            return true
        }
    }

    /// `true` when lists are waiting; a cheap look, no lock.
    var hasItems: Bool { filled.load(ordering: .acquiring) }

    /// Takes every waiting list, oldest first.
    func take() -> [Item] {
        guard hasItems else { return [] }
        return items.withLock { items in
            filled.store(false, ordering: .releasing)
            defer { items = [] }
            return items
        }
    }
}
