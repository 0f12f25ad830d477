import Bus
import Contracts
import SwitchboardKit

/// Where one page is in the state's ring of messages, and what it has shown: each push takes the
/// messages that arrived since the last one, keeps those that pass the page's filter (and the
/// replies to events it showed) up to a limit, and counts the rest as dropped, together with
/// messages the ring overwrote before the page read them. Only this page loses lines; the ring
/// and the bus reader never wait for it.
struct LiveCursor {
    /// The page's filter.
    let filter: TraceFilter
    /// Lines per push at most.
    let limit: Int
    /// The last sequence number read.
    private(set) var sequence: Int
    /// Lines this page did not get: over the limit, or overwritten before it read them.
    private(set) var dropped = 0
    private var shown = Set<String>()

    /// A cursor that starts `backlog` messages before the newest of `state`.
    init(filter: TraceFilter, limit: Int, state: ConsoleState, backlog: Int) {
        self.filter = filter
        self.limit = limit
        sequence = max(0, state.newestSequence - backlog)
    }

    /// The lines of the next push; `nil` when nothing arrived and nothing was lost.
    mutating func next(from state: ConsoleState) -> [JSON]? {
        let (entries, lost) = state.entries(after: sequence)
        dropped += lost
        if let last = entries.last { sequence = last.sequence }
        var lines: [JSON] = []
        for entry in entries {
            let header = entry.envelope.header
            let answersShown = header.type == .reply && header.re.map(shown.contains) == true
            guard answersShown || filter.matches(entry.envelope) else { continue }
            guard lines.count < limit else {
                dropped += 1
                continue
            }
            if header.type == .event {
                if shown.count > 20_000 { shown.removeAll(keepingCapacity: true) }
                shown.insert(header.id)
            }
            lines.append(ConsoleLine.json(entry))
        }
        return lines.isEmpty && lost == 0 ? nil : lines
    }
}
