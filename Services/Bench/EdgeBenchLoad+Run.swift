import Foundation

/// The phases of a load run, shared by `switchboard-bench edge` and `socketio --scenario echo`.
extension EdgeBenchLoad {
    /// Starts the events of every connection in `opened`, waits `warmup` seconds and until one
    /// event was answered without an error (at most 15 s more), calls `beginning`, measures for
    /// `duration` seconds (or, when `counted`, until the load's tickets are used up), waits until
    /// every measured event was answered, and returns the figures.
    func run(on opened: [EdgeBenchDialer.Opened], warmup: Double, duration: Double, counted: Bool,
             beginning: () -> Void) async throws -> Result
    {
        for connection in opened {
            connection.client.eventLoop.execute { connection.client.value.start() }
        }
        try await Task.sleep(for: .seconds(warmup))
        let routeDeadline = ContinuousClock.now + .seconds(15)
        while warmupAnswers == 0 {
            guard ContinuousClock.now < routeDeadline else {
                stop()
                throw EdgeBenchFailure(description: "no successful ack within 15 s: is a service handling the event?")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        beginning()
        beginMeasuring()
        if !counted {
            try await Task.sleep(for: .seconds(duration))
            stop()
        }
        try await waitUntilDrained()
        stop()
        return result()
    }

    /// Waits until every measured event was answered; gives up after 10 s without an
    /// answer (the rest count as unanswered).
    private func waitUntilDrained() async throws {
        var lastCount = measuredAnswers
        var lastProgress = ContinuousClock.now
        while !isDrained {
            try await Task.sleep(for: .milliseconds(20))
            let count = measuredAnswers
            if count != lastCount {
                (lastCount, lastProgress) = (count, .now)
            } else if ContinuousClock.now - lastProgress > .seconds(10) {
                return
            }
        }
    }
}
