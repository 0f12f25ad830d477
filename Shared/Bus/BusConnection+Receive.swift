import CZeroMQ
import Contracts
import Foundation

/// What a ``BusConnection`` listens to. libzmq matches subscriptions by prefix; the connection
/// also drops messages whose topic is not exactly wanted, so `.exact("edge")` does not
/// deliver `edge.<other>`.
public enum Subscription: Hashable, Sendable {
    /// Exactly this topic.
    case exact(String)
    /// Every topic starting with this text (`""`: everything).
    case prefix(String)

    var zmqPrefix: String {
        switch self {
        case .exact(let topic), .prefix(let topic): topic
        }
    }

    func matches(_ topic: String) -> Bool {
        switch self {
        case .exact(let wanted): topic == wanted
        case .prefix(let prefix): topic.hasPrefix(prefix)
        }
    }
}

extension BusConnection {
    /// Receives what is waiting, at most 1,024 messages (a bundle counting as one) so queued
    /// commands are not starved, and hands their envelopes to the consumer as one batch. Past
    /// `receiveBufferLimit` envelopes waiting for the consumer, newer ones are dropped and counted.
    func drain(_ sub: ZMQSocket, subscriptions: [Subscription: Int]) {
        var batch: [Envelope] = []
        defer { deliver(batch) }
        for _ in 0..<1024 {
            let frames: [Data]
            do {
                guard let received = try sub.receive() else { return }
                frames = received
            } catch {
                logger.error("bus receive failed: \(error)")
                return
            }
            // The exact-topic check comes first: a message for a topic this process does
            // not want is skipped unread, even when it is malformed.
            if let topic = frames.first.flatMap({ String(data: $0, encoding: .utf8) }),
               !subscriptions.keys.contains(where: { $0.matches(topic) })
            {
                continue
            }
            guard frames.count == 2 else {
                keep(Result { () throws(EnvelopeError) in try Envelope.decode(frames) }, in: &batch)
                continue
            }
            bundlesReceived.wrappingAdd(1, ordering: .relaxed)
            do {
                for envelope in try BusBundle.decode(topic: frames[0], frame: frames[1]) { keep(envelope, in: &batch) }
            } catch {
                keep(.failure(error), in: &batch)
            }
        }
    }

    /// Adds a read envelope to `batch` (or drops it past `receiveBufferLimit`), or counts and
    /// logs one that could not be read.
    private func keep(_ result: Result<Envelope, EnvelopeError>, in batch: inout [Envelope]) {
        switch result {
        case .failure(let error):
            malformed.wrappingAdd(1, ordering: .relaxed)
            logger.warning("dropped a malformed bus message: \(error)")
        case .success(let envelope):
            if let limit = receiveBufferLimit,
               batches.backlog.count.load(ordering: .relaxed) + batch.count >= limit
            {
                dropped.wrappingAdd(1, ordering: .relaxed)
            } else {
                batch.append(envelope)
            }
        }
    }

    private func deliver(_ batch: [Envelope]) {
        guard !batch.isEmpty else { return }
        batches.backlog.count.wrappingAdd(batch.count, ordering: .relaxed)
        continuation.yield(batch)
        received.wrappingAdd(batch.count, ordering: .relaxed)
    }
}
