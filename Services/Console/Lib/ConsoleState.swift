import Bus
import Contracts
import Foundation
import Synchronization

/// What the console knows about the running system, fed by every bus message it receives:
/// the instances heard in hello, the recent messages for the live table, the events waiting for
/// their reply, the per-second figures for the plots and the sockets seen in life facts.
/// Each message costs a dictionary look-up or two under one lock, so reading keeps up with the
/// bus; the expensive part (a line for a page) is done per page, for the lines it shows.
public final class ConsoleState: Sendable {
    /// One received message kept for the live table.
    public struct Entry: Sendable {
        /// Its place in the order of arrival, from 1.
        public let sequence: Int
        /// The message.
        public let envelope: Envelope
        /// For a reply to an event seen here: milliseconds since that event.
        public let elapsedMilliseconds: Double?
    }

    /// One process heard in hello.
    public struct Instance: Sendable {
        /// Its latest hello.
        public var hello: Hello
        /// Milliseconds since the epoch when it was last heard.
        public var lastHeard: Int64
    }

    struct Waiting {
        let start: ContinuousClock.Instant
        let service: String
    }

    struct Inner {
        var ring: [Entry?]
        var nextSequence = 1
        var instances: [String: Instance] = [:]
        var lastRestart: [String: Int64] = [:]
        var waiting: [String: Waiting] = [:]
        var waitingOrder: [(id: String, start: ContinuousClock.Instant)] = []
        var waitingHead = 0
        var second = SecondFigures()
        var history: [JSON] = []
        var sockets = SocketMirror()
        var received = 0
    }

    let configuration: ConsoleConfiguration
    let inner: Mutex<Inner>

    /// An empty state sized by `configuration`.
    public init(configuration: ConsoleConfiguration) {
        self.configuration = configuration
        inner = Mutex(Inner(ring: Array(repeating: nil, count: max(16, configuration.ringCapacity))))
    }

    /// Takes in a batch of received messages.
    public func ingest(_ batch: [Envelope], now: Int64 = Clock.millisecondsSinceEpoch()) {
        let instant = ContinuousClock.now
        inner.withLock { state in
            for envelope in batch { Self.take(envelope, into: &state, now: now, instant: instant) }
        }
    }

    private static func take(_ envelope: Envelope, into state: inout Inner, now: Int64,
                             instant: ContinuousClock.Instant) {
        let header = envelope.header
        var elapsed: Double?
        state.received += 1
        switch header.type {
        case .hello:
            guard let hello = try? envelope.decodeBody(as: Hello.self) else { break }
            if state.instances[hello.instance] == nil,
               state.instances.values.contains(where: { $0.hello.service == hello.service && $0.hello.started < hello.started }) {
                state.lastRestart[hello.service] = hello.started
            }
            state.instances[hello.instance] = Instance(hello: hello, lastHeard: now)
        case .event:
            guard envelope.topic.hasPrefix("svc."), state.waiting[header.id] == nil else { break }
            let service = String(envelope.topic.dropFirst(4))
            state.second.event(service: service)
            state.waiting[header.id] = Waiting(start: instant, service: service)
            state.waitingOrder.append((header.id, instant))
        case .reply:
            guard let re = header.re, let waiting = state.waiting.removeValue(forKey: re) else { break }
            let duration = instant - waiting.start
            let milliseconds = Double(duration.components.seconds) * 1000
                + Double(duration.components.attoseconds) / 1e15
            elapsed = milliseconds
            state.second.reply(service: waiting.service, milliseconds: milliseconds, failed: header.error != nil)
        case .life:
            state.sockets.take(envelope)
        case .emit:
            break
        }
        let index = state.nextSequence % state.ring.count
        state.ring[index] = Entry(sequence: state.nextSequence, envelope: envelope, elapsedMilliseconds: elapsed)
        state.nextSequence += 1
    }

    /// The kept messages after `sequence`, oldest first, and how many newer than it were
    /// already overwritten (lost to this reader).
    public func entries(after sequence: Int) -> (entries: [Entry], lost: Int) {
        inner.withLock { state in
            let newest = state.nextSequence - 1
            let oldestKept = max(1, newest - state.ring.count + 1)
            let first = max(sequence + 1, oldestKept)
            let lost = max(0, oldestKept - (sequence + 1))
            guard first <= newest else { return ([], lost) }
            var entries: [Entry] = []
            entries.reserveCapacity(newest - first + 1)
            for number in first...newest {
                if let entry = state.ring[number % state.ring.count] { entries.append(entry) }
            }
            return (entries, lost)
        }
    }

    /// The newest sequence number given so far.
    public var newestSequence: Int { inner.withLock { $0.nextSequence - 1 } }

    /// Closes the current second: its figures join the plots' history, and events unanswered
    /// for longer than ``ConsoleConfiguration/unansweredMilliseconds`` count as failures.
    public func closeSecond(now: Int64 = Clock.millisecondsSinceEpoch()) {
        let limit = Duration.milliseconds(configuration.unansweredMilliseconds)
        let instant = ContinuousClock.now
        inner.withLock { state in
            while state.waitingHead < state.waitingOrder.count,
                  instant - state.waitingOrder[state.waitingHead].start > limit {
                let id = state.waitingOrder[state.waitingHead].id
                state.waitingHead += 1
                if let waiting = state.waiting.removeValue(forKey: id) {
                    state.second.unanswered(service: waiting.service)
                }
            }
            if state.waitingHead > 4096, state.waitingHead * 2 > state.waitingOrder.count {
                state.waitingOrder.removeFirst(state.waitingHead)
                state.waitingHead = 0
            }
            let sample = state.second.close(at: now, connections: state.sockets.countsByEdge())
            state.history.append(sample)
            if state.history.count > configuration.historySeconds {
                state.history.removeFirst(state.history.count - configuration.historySeconds)
            }
            state.second = SecondFigures()
        }
    }
}
