import Contracts
import Foundation
import Logging

extension BusClient {
    /// Runs the client until the task is cancelled or ``shutdown()`` closes the connection:
    /// reads every received message (``take(_:)``, the rest to `handlers.messages`), says
    /// hello and looks for silent instances (`handlers.gone`), and ticks the delivery clock
    /// while events wait. When it returns, every event still waiting has failed with `closed`
    /// and new ones are refused; the connection stays open for publishing until ``shutdown()``.
    public func run(_ handlers: Handlers = Handlers()) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.runHellos(gone: handlers.gone) }
            group.addTask { await self.runClock() }
            for await batch in connection.batches {
                let rest = take(batch, handlers: handlers)
                if !rest.isEmpty { handlers.messages(rest) }
            }
            // Cancelled, or the connection closed: the pumps stop too.
            group.cancelAll()
        }
        delivery.close()
    }

    /// Takes what is the client's from received messages and returns the rest, in order: a
    /// hello goes to the directory (and may make the client ready) and is returned too; a reply
    /// that ends an event this client waits for goes to that event's completion alone, and any
    /// other reply is returned unless it came on the inbox (an edge carries out the replies other
    /// edges asked for, and late or repeated ones). ``run(_:)`` calls this for every batch; an
    /// owner that feeds messages by hand calls it instead.
    public func take(_ batch: [Envelope]) -> [Envelope] {
        take(batch, handlers: Handlers())
    }

    func take(_ batch: [Envelope], handlers: Handlers) -> [Envelope] {
        // Built only from the first message the client keeps: most batches are handed on as they came.
        var rest: [Envelope]?
        for (index, envelope) in batch.enumerated() {
            switch envelope.header.type {
            case .hello:
                noteHello(envelope, handlers: handlers)
            case .reply:
                let answered = delivery.receive(envelope)
                if answered || envelope.topic == inbox {
                    if rest == nil { rest = Array(batch[..<index]) }
                    continue
                }
            default:
                break
            }
            rest?.append(envelope)
        }
        return rest ?? batch
    }

    /// Records a hello; the first one that makes the client ready is logged, and an announcing
    /// client that waits for no start-up step says its first ready hello at once. Its own hello
    /// back reports how far its marked publications reached.
    private func noteHello(_ envelope: Envelope, handlers: Handlers) {
        if let hello = try? envelope.decodeBody(as: Hello.self),
           case .newInstance = delivery.heard(hello)
        {
            handlers.newInstance(hello)
        }
        if envelope.header.from == instance, let mark = heardOwnHello(envelope.header.id) { handlers.reached(mark) }
        let announcement = configuration.announcement
        guard announcement == nil || envelope.header.from == instance else { return }
        let (becameReady, announceNow) = state.withLock { state -> (Bool, Bool) in
            guard !state.ready else { return (false, false) }
            state.ready = true
            return (true, announcement.map { !$0.waitsForStartUp } ?? false)
        }
        guard becameReady else { return }
        if announcement != nil {
            logger.info("ready: heard our own hello back", metadata: ["instance": "\(instance)"])
        }
        if announceNow { announceReady() }
    }

    /// The hello pump: a hello (when announcing) every probe interval until announced, then
    /// every hello interval; after each pause, the instances that went silent are forgotten
    /// and handed to `gone`.
    private func runHellos(gone: @Sendable ([ServiceDirectory.Instance]) async -> Void) async {
        while !Task.isCancelled {
            let announced = isAnnounced
            if let hello = helloEnvelope(ready: announced) { publishHello(hello) }
            let probing = configuration.announcement != nil && !announced
            let pause = probing ? configuration.probeIntervalMilliseconds : configuration.helloIntervalMilliseconds
            try? await Task.sleep(for: .milliseconds(pause))
            let silent = delivery.expireSilentInstances()
            if !silent.isEmpty { await gone(silent) }
        }
    }

    /// The delivery clock: a tick every ``Configuration/tickMilliseconds`` while events wait; with
    /// none waiting it sleeps until a send rings the bell.
    private func runClock() async {
        var rings = bell.makeAsyncIterator()
        while !Task.isCancelled {
            clockIdle.store(true, ordering: .sequentiallyConsistent)
            if pendingCount == 0 {
                // Nil: cancelled.
                guard await rings.next() != nil else { return }
            }
            clockIdle.store(false, ordering: .sequentiallyConsistent)
            try? await Task.sleep(for: .milliseconds(configuration.tickMilliseconds))
            delivery.tick()
        }
    }

    /// Rings the bell if the clock sleeps for lack of events. The event is in the pending table
    /// before the flag is read, and the clock sets the flag before it counts the table, so one
    /// of the two always sees the other.
    func wakeClock() {
        if clockIdle.exchange(false, ordering: .sequentiallyConsistent) { ringBell.yield() }
    }
}
