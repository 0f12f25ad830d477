import CZeroMQ
import Contracts
import Foundation

/// The forwarding of a bus with keys: each message is received whole, checked against its
/// sender's role (``ProxyRules``; the key comes with every message as its `User-Id`) and
/// forwarded or dropped (a bundle envelope by envelope, ProxyLoop+Bundles.swift); each
/// subscription is checked the same way before the XPUB side (`ZMQ_XPUB_MANUAL`) applies it and
/// the XSUB side passes it upstream.
extension ProxyLoop {
    /// Moves the messages that their sender's role allows from XSUB to XPUB, until none waits
    /// or the budget is spent; counts and logs the others.
    func forwardChecked(from source: ZMQSocket, to target: ZMQSocket) throws(ZMQError) {
        for _ in 0..<budget {
            guard try receiveParts(from: source) else { return }
            defer { closeParts() }
            if partCount == 2 {
                try forwardBundle(to: target)
                continue
            }
            if let (key, reason) = publishingRefusal() {
                refused(key: key, reason: reason)
                continue
            }
            try sendParts(to: target)
        }
    }

    /// Sends the received parts on as they are.
    func sendParts(to target: ZMQSocket) throws(ZMQError) {
        for index in 0..<partCount {
            while zmq_msg_send(&parts[index], target.handle, index < partCount - 1 ? ZMQ_SNDMORE : 0) < 0 {
                let error = ZMQError.last("proxy send")
                if error.code != EINTR { throw error }
            }
        }
    }

    /// Counts and logs (once per key and reason) a refused message.
    func refused(key: String, reason: String) {
        counters.refusedMessages.wrappingAdd(1, ordering: .relaxed)
        gate?.logRefusal(key: key, reason: reason)
    }

    /// Applies and passes upstream the subscriptions that their sender's role may read.
    func forwardSubscriptions(from backend: ZMQSocket, to frontend: ZMQSocket) throws(ZMQError) {
        for _ in 0..<budget {
            guard try receiveParts(from: backend) else { return }
            defer { closeParts() }
            let bytes = Self.bytes(of: &parts[0])
            guard partCount == 1, let kind = bytes.first, kind <= 1 else { continue }
            // An unsubscription libzmq made itself for a peer that left carries no key: it only
            // undoes what was allowed before, so it goes upstream as it is.
            if let key = Self.userID(of: &parts[0]) {
                let prefix = String(decoding: bytes.dropFirst(), as: UTF8.self)
                guard let role = gate?.roles.roles[key], ProxyRules.mayRead(role: role, prefix: prefix[...]) else {
                    counters.refusedSubscriptions.wrappingAdd(1, ordering: .relaxed)
                    gate?.logRefusal(key: key, reason: "a subscription to \"\(prefix)\"")
                    continue
                }
                try backend.set(kind == 1 ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, bytes: Array(bytes.dropFirst()))
            }
            while zmq_msg_send(&parts[0], frontend.handle, 0) < 0 {
                let error = ZMQError.last("proxy send")
                if error.code != EINTR { throw error }
            }
        }
    }

    /// Receives one whole message into `parts`; `false` when none waits.
    private func receiveParts(from source: ZMQSocket) throws(ZMQError) -> Bool {
        partCount = 0
        var more = true
        while more {
            if partCount == parts.count {
                parts.append(zmq_msg_t())
            }
            zmq_msg_init(&parts[partCount])
            if zmq_msg_recv(&parts[partCount], source.handle, partCount == 0 ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError.last("proxy receive")
                zmq_msg_close(&parts[partCount])
                if error.code == EINTR { continue }
                let nothingWaited = error.code == EAGAIN && partCount == 0
                closeParts()
                if nothingWaited { return false }
                throw error
            }
            more = zmq_msg_more(&parts[partCount]) != 0
            partCount += 1
        }
        return true
    }

    /// Releases the received parts (a part that was sent is already empty).
    private func closeParts() {
        for index in 0..<partCount { zmq_msg_close(&parts[index]) }
        partCount = 0
    }

    /// The sender's key and why its message is refused; `nil` when it may be forwarded.
    private func publishingRefusal() -> (key: String, reason: String)? {
        let sender = senderRole()
        guard let role = sender.role else { return (sender.key, sender.refusal) }
        guard partCount >= 3, let topic = topic() else { return (sender.key, "a malformed message") }
        let reason = Self.refusal(role: role, topic: topic, header: Self.bytes(of: &parts[1]),
                                  body: Self.bytes(of: &parts[2]))
        return reason.map { (sender.key, $0) }
    }

    /// The key and role of the received message's sender, or why it has none.
    func senderRole() -> (key: String, role: BusRole?, refusal: String) {
        guard let userID = zmq_msg_gets(&parts[0], "User-Id"), let known = gate?.role(ofUserID: userID) else {
            return ("", nil, "a message without a key")
        }
        return (known.key, known.role, "a key no longer in the roles file")
    }

    /// The received message's topic; `nil` when frame 0 is empty or not UTF-8.
    func topic() -> Substring? {
        let bytes = Self.bytes(of: &parts[0])
        guard bytes.count > 0, let topic = String(validating: bytes, as: UTF8.self) else { return nil }
        return topic[...]
    }

    /// Why `role` may not publish the message of `header` and `body` on `topic`; `nil` when it may.
    /// The header is read as a receiver reads it (`Envelope.decode`): the plain reading straight
    /// from the message, and `JSONDecoder` on a copy only when that gives up.
    static func refusal(role: BusRole, topic: Substring, header: UnsafeRawBufferPointer,
                        body: UnsafeRawBufferPointer) -> String?
    {
        guard let header = BusHeader(wire: header) ?? (try? JSONCoding.decode(BusHeader.self, from: Data(header))),
              header.v == BusHeader.protocolVersion
        else { return "a malformed message" }
        return ProxyRules.refusal(role: role, topic: topic, header: header) { Data(body) }
    }

    static func bytes(of message: inout zmq_msg_t) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(&message), count: zmq_msg_size(&message))
    }

    private static func userID(of message: inout zmq_msg_t) -> String? {
        zmq_msg_gets(&message, "User-Id").map { String(cString: $0) }
    }
}
