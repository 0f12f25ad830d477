import CZeroMQ
import Foundation
import Logging

/// The forwarding thread's loop: XSUB → XPUB for messages, XPUB → XSUB for subscriptions, the
/// ZAP handler's requests, and the control socket's `TERMINATE`. Messages move as libzmq
/// message handles, never copied.
final class ProxyLoop {
    private let frontend: ZMQSocket
    private let backend: ZMQSocket
    private let control: ZMQSocket
    private let zap: ZMQSocket?
    var gate: ProxyGate?
    let counters: ProxyCounters
    private let logger: Logger
    /// Messages moved per side and wake-up before the other sides are looked at again.
    let budget = 1024
    /// The parts of the message being checked (a bus with keys), reused from message to message.
    var parts: [zmq_msg_t] = []
    /// How many of `parts` hold the current message.
    var partCount = 0

    init(frontend: ZMQSocket, backend: ZMQSocket, control: ZMQSocket, zap: ZMQSocket?, gate: ProxyGate?,
         counters: ProxyCounters, logger: Logger)
    {
        self.frontend = frontend
        self.backend = backend
        self.control = control
        self.zap = zap
        self.gate = gate
        self.counters = counters
        self.logger = logger
    }

    /// Runs until `TERMINATE` arrives on the control socket or libzmq fails.
    func run() {
        var sockets = [frontend, backend, control]
        if let zap { sockets.append(zap) }
        // With keys, the loop wakes at least once a second to notice a changed roles file.
        let timeout = gate == nil ? -1 : 1000
        while true {
            let readable: [Bool]
            do {
                readable = try zmqPollReadable(sockets, timeoutMilliseconds: timeout)
                if readable[2] { return }
                if readable[0] {
                    if gate == nil { try forward(from: frontend, to: backend) }
                    else { try forwardChecked(from: frontend, to: backend) }
                }
                if readable[1] {
                    if gate == nil { try forward(from: backend, to: frontend) }
                    else { try forwardSubscriptions(from: backend, to: frontend) }
                }
                if readable.count > 3, readable[3] { try answerZAP() }
            } catch {
                if error.code != ETERM { logger.error("bus stopped: \(error)") }
                return
            }
            gate?.reloadIfChanged()
        }
    }

    /// Moves whole messages from `source` to `target` until none waits or the budget is spent.
    private func forward(from source: ZMQSocket, to target: ZMQSocket) throws(ZMQError) {
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        for _ in 0..<budget {
            var first = true
            var more = true
            while more {
                if zmq_msg_recv(&message, source.handle, first ? ZMQ_DONTWAIT : 0) < 0 {
                    let error = ZMQError.last("proxy receive")
                    if error.code == EINTR { continue }
                    if error.code == EAGAIN && first { return }
                    throw error
                }
                first = false
                more = zmq_msg_more(&message) != 0
                while zmq_msg_send(&message, target.handle, more ? ZMQ_SNDMORE : 0) < 0 {
                    let error = ZMQError.last("proxy send")
                    if error.code != EINTR { throw error }
                }
            }
        }
    }

    private func answerZAP() throws(ZMQError) {
        guard let zap, var current = gate, let request = try zap.receive() else { return }
        let (reply, accepted) = current.answer(request)
        gate = current
        if accepted {
            counters.accepted.wrappingAdd(1, ordering: .relaxed)
        } else {
            counters.refusedConnections.wrappingAdd(1, ordering: .relaxed)
        }
        try zap.send(reply, dontWait: false)
    }
}
