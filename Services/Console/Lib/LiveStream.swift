import Bus
import Contracts
import Foundation
import Hummingbird
import SwitchboardKit

/// One page's Server-Sent Events stream: `lines` (new messages passing the page's filter, at
/// most ``ConsoleConfiguration/linesPerPush`` per push, the rest dropped and counted: a
/// ``LiveCursor``) five times a second, and `state` (instances, counters, the last second's
/// figures) once a second; the first `state` also holds the plots' history and what can be
/// steered. A slow page only loses its own lines: the stream reads the shared ring and never
/// holds up the bus reader.
struct LiveStream {
    let context: ConsoleContext
    let filter: TraceFilter
    /// Lines from the ring shown when the page opens.
    let backlog = 100

    /// The response body.
    func body() -> ResponseBody {
        ResponseBody { writer in
            let state = context.state
            var cursor = LiveCursor(filter: filter, limit: context.configuration.linesPerPush, state: state,
                                    backlog: backlog)
            var push = 0
            let pushesPerSecond = max(1, 1000 / context.configuration.pushIntervalMilliseconds)
            try await writer.write(Self.event("state", await firstState()))
            while !Task.isCancelled && !context.stopping.isSet {
                if let lines = cursor.next(from: state) {
                    try await writer.write(Self.event("lines", .object([
                        "lines": .array(lines), "dropped": .int(Int64(cursor.dropped)),
                    ])))
                }
                push += 1
                if push % pushesPerSecond == 0 {
                    try await writer.write(Self.event("state", .object([
                        "instances": state.instancesJSON(), "counters": context.countersJSON(),
                        "dropped": .int(Int64(cursor.dropped)), "history": state.historyJSON(last: 1),
                    ])))
                }
                try await Task.sleep(for: .milliseconds(context.configuration.pushIntervalMilliseconds))
            }
            try await writer.finish(nil)
        }
    }

    private func firstState() async -> JSON {
        .object([
            "instances": context.state.instancesJSON(), "counters": context.countersJSON(),
            "history": context.state.historyJSON(), "steer": await context.steerJSON(),
            "dropped": .int(0), "first": .bool(true),
        ])
    }

    /// One SSE event: `event: NAME`, `data: JSON`, a blank line.
    static func event(_ name: String, _ data: JSON) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data.jsonText)\n\n")
    }
}
