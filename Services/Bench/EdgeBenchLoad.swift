import Contracts
import Histogram
import NIOCore
import Synchronization

/// What the connections of one `switchboard-bench edge` load run share: the phase of the run,
/// the tickets of a `--messages` run, the bytes of the event (`echo` unless told), and the tally.
///
/// Connections claim a phase for every event they send and report every answer; the command
/// moves the phases on (warm-up → measured → stopped) and reads the result at the end.
final class EdgeBenchLoad: Sendable {
    /// When an event was sent, which decides whether its round trip is measured.
    enum Phase: Sendable {
        /// Before the measurement: answers only show that the route works.
        case warmup
        /// Inside the measurement: the round trip goes into the histogram.
        case measured
    }

    /// The figures of a finished run.
    struct Result: Sendable {
        /// Measured round trips answered without an error, in microseconds.
        var histogram: Histogram<UInt64>
        /// Seconds from the start of the measurement to its last answer.
        var seconds: Double
        /// Measured events answered `{"error": …}`.
        var errorAcks: Int
        /// Measured events never answered (the connection closed, or the drain timed out).
        var unanswered: Int
        /// Connections that closed during the run.
        var disconnects: Int

        /// Answers per second over the measurement.
        var messagesPerSecond: Double { seconds > 0 ? Double(histogram.totalCount) / seconds : 0 }
        /// Every failure of a measured event.
        var errors: Int { errorAcks + unanswered }
    }

    /// Everything that changes during a run, behind one lock.
    private struct State {
        /// Events sent from now on are measured.
        var measuring = false
        /// No more events are to be sent.
        var stopped = false
        /// Measured events left to send in a `--messages` run; `nil` in a `--duration` run.
        var tickets: Int?
        /// Round trips of measured events answered without an error, in microseconds.
        var histogram = Histogram<UInt64>()
        /// Measured events answered with an error.
        var errorAcks = 0
        /// Measured events given up when their connection closed.
        var unanswered = 0
        /// Measured events sent and not answered or given up yet.
        var outstanding = 0
        /// Connections that closed.
        var disconnects = 0
        /// Warm-up events answered without an error.
        var warmupAnswers = 0
        /// When the measurement began.
        var start = NIODeadline.now()
        /// When its last answer came.
        var lastAnswer = NIODeadline.now()
    }

    /// Events each connection keeps waiting for their ack.
    let inFlight: Int
    /// What follows `42<ack id>` in every event, e.g. `["echo","xx…"]`.
    let eventTail: [UInt8]
    private let state: Mutex<State>

    /// A run of `inFlight` events per connection, each an `event` (default `echo`) of a
    /// `payload`-byte string; `messages` measured events in all, or unbounded (`nil`) until ``stop()``.
    init(inFlight: Int, payload: Int, messages: Int?, event: String = "echo") {
        self.inFlight = inFlight
        eventTail = Array(("[" + JSON.string(event).jsonText + ",\"" + String(repeating: "x", count: payload) + "\"]").utf8)
        state = Mutex(State(tickets: messages))
    }

    /// The phase of the next event, or `nil` when no more events are to be sent.
    func claim() -> Phase? {
        state.withLock { state in
            guard !state.stopped else { return nil }
            guard state.measuring else { return .warmup }
            if let tickets = state.tickets {
                guard tickets > 0 else { return nil }
                state.tickets = tickets - 1
            }
            state.outstanding += 1
            return .measured
        }
    }

    /// Records the answer to an event sent in `phase`, `microseconds` after it was sent.
    func answered(_ phase: Phase, microseconds: UInt64, error: Bool) {
        state.withLock { state in
            guard phase == .measured else {
                if !error { state.warmupAnswers += 1 }
                return
            }
            state.outstanding -= 1
            state.lastAnswer = .now()
            if error { state.errorAcks += 1 } else { state.histogram.record(microseconds) }
        }
    }

    /// Records a connection that closed with `measured` measured events unanswered.
    func disconnected(unanswered measured: Int) {
        state.withLock { state in
            state.disconnects += 1
            state.outstanding -= measured
            state.unanswered += measured
        }
    }

    /// Warm-up events answered without an error so far.
    var warmupAnswers: Int { state.withLock { $0.warmupAnswers } }

    /// Measured events answered so far, with or without an error.
    var measuredAnswers: Int { state.withLock { Int($0.histogram.totalCount) + $0.errorAcks } }

    /// Starts the measurement: events sent from now on are measured.
    func beginMeasuring() {
        state.withLock { state in
            state.measuring = true
            (state.start, state.lastAnswer) = (.now(), .now())
        }
    }

    /// Ends sending: connections send nothing more, answers still count.
    func stop() {
        state.withLock { $0.stopped = true }
    }

    /// `true` once no more events will be sent (stopped, or every ticket used) and every
    /// measured event was answered or given up.
    var isDrained: Bool {
        state.withLock { state in
            (state.stopped || state.tickets == 0) && state.outstanding <= 0
        }
    }

    /// The figures so far; measured events still waiting count as unanswered.
    func result() -> Result {
        state.withLock { state in
            let elapsed = state.lastAnswer - state.start
            return Result(histogram: state.histogram, seconds: Double(elapsed.nanoseconds) / 1e9,
                          errorAcks: state.errorAcks, unanswered: state.unanswered + max(0, state.outstanding),
                          disconnects: state.disconnects)
        }
    }
}
