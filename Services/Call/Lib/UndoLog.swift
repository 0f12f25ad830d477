/// The inverse of each step of the changes made to a `Root` value since the last commit, newest
/// last. Undoing runs them backwards, so taking a change back costs what the change touched,
/// never a copy of the whole value (see ``CallEngine/change(_:_:)``).
///
/// An entry must put back exactly what its step overwrote and must not record anything itself.
struct UndoLog<Root>: Sendable {
    /// Puts back what one step overwrote.
    typealias Entry = @Sendable (inout Root) -> Void

    /// Whether steps are recorded: off for a value used on its own (tests), whose log would
    /// otherwise only grow; ``CallState`` switches it on.
    var isRecording = false
    /// The entries, oldest first.
    private var entries: [Entry] = []

    /// The number of entries: the mark to undo back to.
    var count: Int { entries.count }

    /// Records `entry`, the inverse of the step just taken (or about to be taken).
    mutating func record(_ entry: @escaping Entry) {
        if isRecording { entries.append(entry) }
    }

    /// Removes and returns the newest entry.
    mutating func removeLast() -> Entry? {
        entries.popLast()
    }

    /// Forgets every entry: the changes they undo committed.
    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }
}
