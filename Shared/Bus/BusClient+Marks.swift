import Contracts
import Foundation
import Synchronization

/// Knowing that publications reached the bus.
///
/// A message handed to libzmq has not left the process yet: libzmq's I/O thread writes it to
/// the TCP socket a moment later, and a process killed in between loses it. What a client
/// publishes on its one publishing socket reaches the bus in order, and a client that announces
/// itself hears its own hellos back through the bus. So when a hello comes back, everything
/// published before it reached the bus process.
///
/// ``publishMarked(_:)`` numbers publications; each hello remembers the highest number published
/// before it; when the client hears that hello back, ``Handlers/reached`` is given that number:
/// every publication marked up to it reached the bus. A client that announces nothing hears no
/// hello of its own and reports nothing.
extension BusClient {
    struct Marks {
        /// The last mark given out (0: none yet).
        var issued: UInt64 = 0
        /// The hellos published and not heard back yet, oldest first, with the last mark given
        /// out before each.
        var hellos: [(id: String, mark: UInt64)] = []
    }

    /// Hellos kept waiting to be heard back at most: a hello the bus lost (it was away) is
    /// forgotten when this many newer ones wait; any later one that comes back covers its marks.
    static let helloMarksKept = 64

    /// Queues `envelopes` for publishing, in order, in one hand-off to the bus thread, and returns
    /// their mark: once ``Handlers/reached`` reports a mark at least as high, they reached the bus.
    public func publishMarked(_ envelopes: [Envelope]) -> UInt64 {
        marks.withLock { marks in
            marks.issued += 1
            connection.publish(envelopes)
            return marks.issued
        }
    }

    /// Publishes `hello`, remembering the last mark given out before it.
    func publishHello(_ hello: Envelope) {
        marks.withLock { marks in
            marks.hellos.append((hello.header.id, marks.issued))
            if marks.hellos.count > Self.helloMarksKept { marks.hellos.removeFirst() }
            connection.publish(hello)
        }
    }

    /// The client heard its own hello `id` back: the mark everything published before it reached,
    /// or `nil` when it is not a hello waiting to be heard (already covered, or forgotten).
    func heardOwnHello(_ id: String) -> UInt64? {
        marks.withLock { marks in
            guard let index = marks.hellos.firstIndex(where: { $0.id == id }) else { return nil }
            let mark = marks.hellos[index].mark
            marks.hellos.removeFirst(index + 1)
            return mark
        }
    }
}
