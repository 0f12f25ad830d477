import Foundation

/// Bundles (docs/bus-protocol.md §3) on the publishing side: where the connection may bundle, and
/// the bus thread's sending of what one wake-up gathered.
extension BusConnection {
    /// Sets the topics whose every receiver reads bundles (``ServiceDirectory/bundleTopics``);
    /// from the next wake-up of the bus thread on, runs of queued envelopes to one of them are
    /// bundled. Initially none.
    public func setBundleTopics(_ topics: Set<String>) {
        let bytes = Set(topics.map { Data($0.utf8) })
        bundleTopics.withLock { $0 = bytes }
    }

    /// The topics set by ``setBundleTopics(_:)``, as text.
    var bundleTopicNames: Set<String> {
        Set(bundleTopics.withLock { $0 }.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Sends `messages` in order; every run of two or more consecutive ones to a bundle topic
    /// goes out as bundles within ``Configuration/bundleLimits``.
    func send(_ messages: [[Data]], pub: ZMQSocket) {
        guard !messages.isEmpty else { return }
        let topics = bundleTopics.withLock { $0 }
        var start = 0
        while start < messages.count {
            let first = messages[start]
            var end = start + 1
            if first.count == 3, topics.contains(first[0]) {
                var bytes = BusBundle.entrySize(first)
                while end < messages.count, end - start < bundleLimits.envelopes, messages[end].count == 3,
                      messages[end][0] == first[0]
                {
                    bytes += BusBundle.entrySize(messages[end])
                    guard bytes <= bundleLimits.bytes else { break }
                    end += 1
                }
            }
            do {
                if end - start > 1 {
                    try pub.send([first[0], BusBundle.pack(messages[start..<end])])
                    bundlesPublished.wrappingAdd(1, ordering: .relaxed)
                    bundledPublished.wrappingAdd(end - start, ordering: .relaxed)
                } else {
                    try pub.send(first)
                }
                published.wrappingAdd(end - start, ordering: .relaxed)
            } catch {
                logger.error("bus publish failed: \(error)")
            }
            start = end
        }
    }
}
