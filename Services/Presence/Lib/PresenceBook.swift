import Contracts
import Foundation
import ServiceKit
import Synchronization

/// ``PresenceState`` behind a lock: client events and queries read and change it, the socket
/// changes of ServiceKit's mirror of the edges (``EdgeMirror``) change it.
final class PresenceBook: Sendable {
    private let state = Mutex(PresenceState())

    /// Answers a client event or a bus query.
    func answer(_ event: Event) -> [Instruction] {
        let clientEvent = ClientEvent(event)
        let outcome = state.withLock { $0.handle(clientEvent) } ?? EventOutcome.getRoomFailure
        return outcome.reply(to: clientEvent)
    }

    /// Socket changes from the mirror, applied as one unit.
    func apply(_ update: SocketUpdate) -> [Instruction] {
        state.withLock { $0.apply(update) }
    }
}
