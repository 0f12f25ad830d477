import Contracts
import Foundation
import ServiceKit
import Synchronization

/// ``PresenceState`` behind a lock, with the start-up rebuild: until every edge's snapshot is
/// in, facts are held back per edge (a fact older than its edge's snapshot is superseded by it;
/// a newer one is applied after the rebuild, as a real change).
final class PresenceBook: Sendable {
    private struct Book {
        var state = PresenceState()
        var rebuilding = true
        var snapshots: [String: Snapshot] = [:]
        var heldBack: [(edge: String, fact: LifeFact)] = []
    }

    private let book = Mutex(Book())

    /// Answers a client event or a bus query.
    func answer(_ event: Event) -> [Instruction] {
        let clientEvent = ClientEvent(event)
        let outcome = book.withLock { $0.state.handle(clientEvent) } ?? EventOutcome.getRoomFailure
        return outcome.reply(to: clientEvent)
    }

    /// A life fact from `edge`: applied now, or held back while rebuilding.
    func observe(_ kind: LifeFactKind, fact: JSON, edge: String) throws(LifeFact.Malformed) -> [Instruction] {
        let parsed = try LifeFact(kind: kind, fact: fact, edge: edge)
        return book.withLock { book in
            if case .snapshot(let snapshot) = parsed {
                guard book.rebuilding else { return book.state.applySnapshot(snapshot) }
                book.snapshots[snapshot.edge] = snapshot
                book.heldBack.removeAll { $0.edge == snapshot.edge }
                return []
            }
            guard !book.rebuilding else {
                book.heldBack.append((edge, parsed))
                return []
            }
            return book.state.apply(parsed, edge: edge)
        }
    }

    /// An edge went silent: its sockets are gone.
    func edgeGone(_ edge: String) -> [Instruction] {
        book.withLock { $0.state.edgeGone(edge) }
    }

    /// Start-up: asks every edge for a snapshot (again each second), waits until all answered
    /// or `timeout`, rebuilds silently, then applies the facts that came after the snapshots.
    func rebuild(_ control: ServiceControl, timeout: Duration) async {
        // One hello interval and a little: every live edge has said hello by then.
        try? await Task.sleep(for: .milliseconds(1200))
        let deadline = ContinuousClock.now + timeout
        var lastRequest: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let edges = Set(control.instances(of: "edge").map(\.instance))
            let answered = book.withLock { Set($0.snapshots.keys) }
            if edges.isSubset(of: answered) { break }
            if lastRequest.map({ ContinuousClock.now - $0 > .seconds(1) }) ?? true {
                lastRequest = .now
                control.publishEvent("resync", on: Topic.edge)
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let (instructions, edges, sockets) = book.withLock { book -> ([Instruction], Int, Int) in
            book.state.rebuild(from: Array(book.snapshots.values))
            book.rebuilding = false
            var instructions: [Instruction] = []
            for (edge, fact) in book.heldBack { instructions += book.state.apply(fact, edge: edge) }
            book.heldBack = []
            return (instructions, book.snapshots.count, book.state.socketCount)
        }
        control.logger.info("rebuilt from the edges", metadata: ["edges": "\(edges)", "sockets": "\(sockets)"])
        control.emit(instructions)
    }
}
