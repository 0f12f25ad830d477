import Contracts
import Foundation
import Histogram
import Synchronization

/// What `switchboard-bench chat` and `socketio --scenario rooms|room` count: deliveries of a
/// message to members other than its sender, with their delay (HdrHistogram, µs) while
/// measuring, and refusals.
final class DeliveryTally: Sendable {
    private struct State {
        var running = true
        var measuring = false
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var warmupDeliveries = 0
        var deliveries = 0
        var refusals = 0
        var started: ContinuousClock.Instant?
        var seconds = 0.0
    }

    private let state = Mutex(State())

    /// `false` once the run is over: members send nothing more.
    var isRunning: Bool { state.withLock { $0.running } }
    /// Deliveries counted before measuring began.
    var warmupDeliveries: Int { state.withLock { $0.warmupDeliveries } }

    /// Starts the measured window.
    func beginMeasuring() {
        state.withLock {
            $0.measuring = true
            $0.started = .now
        }
    }

    /// Ends the measured window and stops the senders.
    func stop() {
        state.withLock {
            if $0.measuring, let started = $0.started {
                let elapsed = ContinuousClock.now - started
                $0.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            $0.measuring = false
            $0.running = false
        }
    }

    /// One `message:new` reached a member other than its sender, `nanoseconds` after it was sent.
    func delivered(nanoseconds: UInt64) {
        state.withLock {
            if $0.measuring {
                $0.deliveries += 1
                $0.histogram.record(max(1, nanoseconds / 1000))
            } else if $0.running {
                $0.warmupDeliveries += 1
            }
        }
    }

    /// The server answered an `error:*` event.
    func refused() { state.withLock { $0.refusals += 1 } }

    /// The measured figures.
    func result() -> (histogram: Histogram<UInt64>, deliveries: Int, seconds: Double, refusals: Int) {
        state.withLock { ($0.histogram, $0.deliveries, $0.seconds, $0.refusals) }
    }
}
