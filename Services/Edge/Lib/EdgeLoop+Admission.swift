import Contracts
import SocketIO

extension EdgeLoop {
    /// Authenticates a CONNECT per the namespace's auth mode (off the loop when a credential must
    /// be checked), then admits it or, if the namespace asks for it, lets its service decide.
    func authorize(_ namespace: String, auth: JSON?, on driver: ConnectionDriver) {
        guard let settings = hub.configuration.namespaces(ofListener: driver.listener)[namespace] else {
            driver.socket(.reject(namespace: namespace, data: ["message": "Invalid namespace"]))
            return
        }
        let request = Authorizer.Request(namespace: namespace, settings: settings, auth: auth, cookie: driver.cookie,
                                         address: driver.address, listener: driver.listener)
        if let result = hub.authorizer.authenticateAtOnce(request) {
            authenticated(namespace, result, decide: settings.decide, on: driver)
            return
        }
        let authorizer = hub.authorizer
        let handle = self.handle
        let engineSID = driver.sid
        Task {
            let result = await authorizer.authenticate(request)
            handle.execute { edge in
                // The connection may have closed while authentication ran.
                guard let driver = edge.driver(engineSID) else { return }
                edge.authenticated(namespace, result, decide: settings.decide, on: driver)
            }
        }
    }

    /// A CONNECT was authenticated: refused, admitted, or (`decide`) put to its service.
    private func authenticated(_ namespace: String, _ result: Result<AuthorizedSocket, AuthFailure>, decide: Bool,
                               on driver: ConnectionDriver)
    {
        switch result {
        case .failure(let failure):
            hub.metrics.connectionRefused(namespace: namespace, reason: failure.message)
            driver.socket(.reject(namespace: namespace, data: failure.payload))
        case .success(let admitted):
            if decide {
                askService(namespace, admitted: admitted, on: driver)
            } else {
                admit(namespace, admitted, on: driver)
            }
        }
    }

    /// Admits a socket: a new sid, which names this loop (so that a list naming the socket by
    /// sid is handed to this loop alone, ``EdgeHub/carryOut(_:answering:)``), and the CONNECT answered.
    private func admit(_ namespace: String, _ admitted: AuthorizedSocket, on driver: ConnectionDriver) {
        driver.authorizing[namespace] = admitted
        driver.socket(.accept(namespace: namespace, sid: SocketID.make(loop: index)))
    }

    /// Asks the service that announced `(namespace, "connect")` to accept or reject a socket that
    /// passed authentication: the event `connect` with `[{auth, ip}]` (never the token).
    private func askService(_ namespace: String, admitted: AuthorizedSocket, on driver: ConnectionDriver) {
        let auth = hub.configuration.namespaces(ofListener: driver.listener)[namespace]?.auth.rawValue
        let route = Route(ns: hub.configuration.busNamespace(namespace, ofListener: driver.listener), event: "connect")
        let header = hub.headers.event(route, sid: nil, user: admitted.identity,
                                       ack: nil, ip: driver.address, auth: auth)
        let fact: JSON = ["auth": admitted.auth ?? .null, "ip": .string(driver.address)]
        driver.authorizing[namespace] = admitted
        let waiter = DecisionWaiter(loop: handle, engineSID: driver.sid, namespace: namespace)
        hub.send(header, arguments: [fact], request: .decision(waiter))
    }

    /// Carries out a service's decision on a held CONNECT: its reply's first `accept` or `reject`
    /// (none refuses with "Connection refused"); no decision to be had (no service, a timeout, an
    /// error reply) refuses with `{"message":"Service unavailable","data":{"code":…}}`.
    func finishDecision(_ waiter: DecisionWaiter, _ outcome: RequestOutcome) {
        guard let driver = driver(waiter.engineSID) else { return }
        let namespace = waiter.namespace
        guard case .answered(let list) = outcome else {
            let code = outcome.errorCode ?? "-"
            hub.logger.warning("connection refused: no decision", metadata: ["ns": "\(namespace)", "reason": "\(code)"])
            refuse(namespace, data: ["message": "Service unavailable", "data": ["code": .string(code)]], on: driver)
            return
        }
        for instruction in list.instructions {
            switch instruction {
            case .accept:
                admit(namespace, driver.authorizing[namespace] ?? AuthorizedSocket(), on: driver)
                return
            case .reject(let decision):
                refuse(namespace, data: decision.data ?? ["message": "Connection refused"], on: driver)
                return
            default:
                continue
            }
        }
        refuse(namespace, data: ["message": "Connection refused"], on: driver)
    }

    private func refuse(_ namespace: String, data: JSON, on driver: ConnectionDriver) {
        _ = driver.authorizing.take(namespace)
        hub.metrics.connectionRefused(namespace: namespace, reason: data["message"]?.stringValue ?? "refused")
        driver.socket(.reject(namespace: namespace, data: data))
    }
}
