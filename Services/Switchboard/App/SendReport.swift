import Bus
import Contracts
import Foundation
import SwitchboardKit
import Synchronization

/// Collects the outcome of every sent event and prints it (see `switchboard send --json`).
final class SendReport: Sendable {
    private struct Tally {
        var replied = 0
        var failed: [String: Int] = [:]
        var latencies: [Double] = []
    }

    private let json: Bool
    private let tally = Mutex(Tally())

    init(json: Bool) { self.json = json }

    var failures: Int { tally.withLock { $0.failed.values.reduce(0, +) } }

    func record(index: Int, id: String, result: Result<Envelope, DeliveryFailure>, milliseconds: Double) {
        var object: [String: JSON] = ["i": .int(Int64(index)), "id": .string(id), "ms": .double(milliseconds)]
        switch result {
        case .success(let reply):
            object["ok"] = .bool(reply.header.error == nil)
            object["from"] = .string(reply.header.from)
            object["error"] = reply.header.error.map(JSON.string)
            object["body"] = try? reply.decodeBody(as: JSON.self)
            tally.withLock { tally in
                tally.replied += 1
                tally.latencies.append(milliseconds)
                if let error = reply.header.error { tally.failed[error, default: 0] += 1 }
            }
        case .failure(let failure):
            object["ok"] = false
            object["error"] = .string(failure.code)
            object["detail"] = .string(failure.description)
            tally.withLock { $0.failed[failure.code, default: 0] += 1 }
        }
        emitLine(json ? JSON.object(object).jsonText : Self.text(object))
    }

    func finish() {
        let tally = self.tally.withLock { $0 }
        let sorted = tally.latencies.sorted()
        let percentile = { (p: Double) -> Double in
            sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        }
        let summary: JSON = ["summary": [
            "replied": .int(Int64(tally.replied)),
            "failed": .object(tally.failed.mapValues { .int(Int64($0)) }),
            "p50Ms": .double(percentile(0.5)), "p99Ms": .double(percentile(0.99)),
        ]]
        emitLine(json ? summary.jsonText : "replied \(tally.replied), failed \(tally.failed), p50 \(percentile(0.5)) ms")
    }

    private static func text(_ object: [String: JSON]) -> String {
        let index = object["i"]?.intValue ?? 0
        if object["ok"] == .bool(true) {
            return "#\(index) reply from \(object["from"]?.stringValue ?? "?"): \(object["body"]?.jsonText ?? "")"
        }
        return "#\(index) failed: \(object["error"]?.stringValue ?? "?") \(object["detail"]?.stringValue ?? object["body"]?.jsonText ?? "")"
    }
}
