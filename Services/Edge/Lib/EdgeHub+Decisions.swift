import Foundation
import Bus
import Contracts
import SocketIO

extension EdgeHub {
    /// Asks the service that announced `(namespace, "connect")` to accept or reject a socket
    /// that passed authentication. The answer is an `accept` or `reject` instruction.
    func askService(_ namespace: String, admitted: AuthorizedSocket, on connection: Connection) {
        var header = BusHeader(type: .event, from: bus.instance)
        header.ns = namespace
        header.event = "connect"
        header.edge = bus.instance
        header.user = admitted.identity
        header.ip = connection.address
        header.auth = configuration.namespaces(ofListener: connection.listener)[namespace]?.auth.rawValue
        header.traceparent = MessageID.traceparent()
        let fact: JSON = ["auth": admitted.auth ?? .null, "ip": .string(connection.address)]
        let body = (try? JSONCoding.encode([fact])) ?? Data("[]".utf8)
        connection.authorizing[namespace] = admitted
        decisions[header.id] = PendingDecision(connection: connection, namespace: namespace)
        let id = header.id
        bus.send(Envelope(topic: "", header: header, body: body), route: Route(ns: namespace, event: "connect")) {
            result in
            self.loop.execute { self.decisionFailed(id, result: result) }
        }
    }

    /// A decision that could not be had (no service, timeout, an error reply) refuses the socket.
    private func decisionFailed(_ id: String, result: Result<Envelope, DeliveryFailure>) {
        let code: String
        switch result {
        case .success(let reply):
            guard let error = reply.header.error else { return }
            code = error
        case .failure(let failure):
            code = failure.code
        }
        guard let pending = decisions.removeValue(forKey: id) else { return }
        logger.warning("connection refused: no decision", metadata: ["ns": "\(pending.namespace)", "reason": "\(code)"])
        decide(pending, accept: false, data: ["message": "Service unavailable", "data": ["code": .string(code)]])
    }

    /// Carries out a decision on a held CONNECT.
    func decide(_ pending: PendingDecision, accept: Bool, data: JSON?) {
        let connection = pending.connection
        guard connection.connectionIsOpen else { return }
        if accept {
            let admitted = connection.authorizing[pending.namespace] ?? AuthorizedSocket()
            admit(pending.namespace, admitted, on: connection)
        } else {
            connection.authorizing[pending.namespace] = nil
            metrics.connectionRefused(namespace: pending.namespace, reason: data?["message"]?.stringValue ?? "refused")
            socket(.reject(namespace: pending.namespace, data: data ?? ["message": "Connection refused"]), on: connection)
        }
    }
}
