import Bus
import CZeroMQ
import Foundation
import Histogram
import SwitchboardKit

/// The bare path of `switchboard-bench bus`: libzmq alone, for scale. A ROUTER bound on a free
/// loopback port echoes every message on its own thread; a DEALER on the calling thread sends
/// the frames of a bus event and waits for them back. No proxy, no envelope coding, no tasks.
///
/// Everything blocks, so ``run(frames:levels:count:warmup:)`` belongs on a thread of its own
/// (``onOwnThread(name:_:)``), never on a concurrency thread.
enum BareRoundTrip {
    /// For each level: `warmup` unmeasured round trips, then `count` measured ones with
    /// `level` messages in flight.
    static func run(frames: [Data], levels: [Int], count: Int, warmup: Int) throws(ZMQError) -> [RoundTripResult] {
        let context = ZMQContext()
        let router = try ZMQSocket(context: context, type: .router)
        try router.set(ZMQ_LINGER, 0)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint()
        startEcho(SocketHandOver(socket: router))
        let dealer = try ZMQSocket(context: context, type: .dealer)
        try dealer.set(ZMQ_LINGER, 0)
        try dealer.connect(endpoint)
        defer {
            dealer.close()
            // Ends the echo thread's blocking receive (ETERM); returns once it closed the ROUTER.
            context.terminate()
        }
        var results: [RoundTripResult] = []
        for level in levels {
            _ = try measure(dealer, frames: frames, count: warmup, inFlight: level)
            results.append(try measure(dealer, frames: frames, count: count, inFlight: level))
        }
        return results
    }

    /// `count` round trips with `inFlight` messages sent ahead. One connection keeps them in
    /// order, so reply number `k` answers message number `k`.
    private static func measure(_ dealer: ZMQSocket, frames: [Data], count: Int,
                                inFlight: Int) throws(ZMQError) -> RoundTripResult
    {
        var histogram = Histogram<UInt64>()
        var starts = [ContinuousClock.Instant](repeating: .now, count: inFlight)
        var sent = 0
        let begin = ContinuousClock.now
        for answered in 0..<count {
            while sent < count && sent - answered < inFlight {
                starts[sent % inFlight] = .now
                try dealer.send(frames, dontWait: false)
                sent += 1
            }
            _ = try dealer.receive(dontWait: false)
            histogram.record(UInt64(milliseconds(since: starts[answered % inFlight]) * 1000))
        }
        return RoundTripResult(path: .bare, inFlight: inFlight, histogram: histogram,
                               seconds: milliseconds(since: begin) / 1000, failed: 0)
    }

    /// Echoes every message back to its sender until the context is terminated.
    private static func startEcho(_ handOver: SocketHandOver) {
        let thread = Thread {
            let router = handOver.socket
            while let message = try? router.receive(dontWait: false) {
                _ = try? router.send(message, dontWait: false)
            }
            router.close()
        }
        thread.name = "bench-router"
        thread.start()
    }
}

/// A socket passed to the thread that uses it from then on (libzmq allows moving a socket
/// between threads; the thread start is the memory barrier).
private struct SocketHandOver: @unchecked Sendable {
    /// The socket, no longer used by the thread that made it.
    let socket: ZMQSocket
}

/// Runs `body` on a new thread named `name` and returns its result, so that blocking libzmq
/// calls never hold one of the few threads of Swift concurrency.
func onOwnThread<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
        let thread = Thread { done.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}
