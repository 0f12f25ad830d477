import CZeroMQ
import Foundation

/// The check of a bundle (docs/bus-protocol.md §3) on a bus with keys: every envelope is checked
/// against the sender's role as a single message would be; the refused ones are counted and
/// logged, and the others go on, in order.
extension ProxyLoop {
    /// Forwards the bundle in `parts` as it came when every envelope is allowed, a bundle of the
    /// allowed ones when some are refused, nothing when none is.
    func forwardBundle(to target: ZMQSocket) throws(ZMQError) {
        let sender = senderRole()
        guard let role = sender.role else { return refused(key: sender.key, reason: sender.refusal) }
        let frame = Self.bytes(of: &parts[1])
        guard let topic = topic(), let entries = BusBundle.entries(of: frame) else {
            return refused(key: sender.key, reason: "a malformed bundle")
        }
        var allowed: [BusBundle.Entry] = []
        allowed.reserveCapacity(entries.count)
        for entry in entries {
            if let reason = Self.refusal(role: role, topic: topic,
                                         header: UnsafeRawBufferPointer(rebasing: frame[entry.header]),
                                         body: UnsafeRawBufferPointer(rebasing: frame[entry.body]))
            {
                refused(key: sender.key, reason: reason)
            } else {
                allowed.append(entry)
            }
        }
        if allowed.count == entries.count { return try sendParts(to: target) }
        guard !allowed.isEmpty else { return }
        // Each entry's bytes run from its header's length field to the end of its body.
        var kept = Data(capacity: allowed.reduce(0) { $0 + $1.body.upperBound - $1.header.lowerBound + 4 })
        for entry in allowed {
            let whole = (entry.header.lowerBound - 4)..<entry.body.upperBound
            kept.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[whole]))
        }
        try target.send([Data(Self.bytes(of: &parts[0])), kept], dontWait: false)
    }
}
