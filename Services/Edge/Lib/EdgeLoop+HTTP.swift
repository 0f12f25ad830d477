import Bus
import Contracts
import NIOCore

/// Answers one plain HTTP request; called once.
typealias HTTPRouteResponder = (HTTPRouteResponse) -> Void

extension EdgeLoop {
    /// Serves a plain HTTP request from the routes services announced on its listener's HTTP
    /// namespace (`http`, or `<app>:http` for a listener of an app): matched,
    /// checked, authenticated, then published as the event `<METHOD> <pattern>` to the service,
    /// whose reply's `ack` becomes the response. Everything the edge refuses itself is answered
    /// without publishing anything.
    func serveHTTP(_ incoming: HTTPIncoming, respond: @escaping HTTPRouteResponder) {
        let (path, queryText) = HTTPRouteRequest.split(target: incoming.target)
        let namespace = incoming.namespace
        let match: HTTPRouteTable.Match
        let request: HTTPRouteRequest
        do {
            guard let found = try hub.bus.matchHTTP(in: namespace, method: incoming.method, path: path) else {
                finishHTTP(.notFound, route: Route(ns: namespace, event: "none"), respond: respond)
                return
            }
            match = found
            request = HTTPRouteRequest(method: incoming.method, path: path, params: found.parameters,
                                       query: try HTTPRouteRequest.parseQuery(queryText),
                                       body: try HTTPRouteRequest.parseBody(incoming.body, contentType: incoming.contentType,
                                                                            maxPayload: hub.configuration.maxPayload))
        } catch {
            finishHTTP(HTTPRouteResponse(error), route: Route(ns: namespace, event: "none"), respond: respond)
            return
        }
        let route = Route(ns: namespace, event: match.route.text)
        let responder = NIOLoopBound(respond, eventLoop: eventLoop)
        guard hub.authorizer.sendsCredential(cookie: incoming.cookie, authorization: incoming.authorization) else {
            publishHTTP(request, route: route, caller: .init(identity: nil, mode: .none), address: incoming.address,
                        respond: responder)
            return
        }
        let authorizer = hub.authorizer
        let handle = self.handle
        Task {
            let result = await authorizer.authenticateHTTP(cookie: incoming.cookie, authorization: incoming.authorization)
            handle.execute { edge in
                switch result {
                case .success(let caller):
                    edge.publishHTTP(request, route: route, caller: caller, address: incoming.address, respond: responder)
                case .failure:
                    edge.finishHTTP(.unauthorized, route: route, respond: responder.value)
                }
            }
        }
    }

    /// Publishes an authenticated request as an event for the service of `route` (its HTTP
    /// namespace and announced text; `sid: "http-<random>"`, `ack: true`, `auth`: how the caller
    /// was authenticated).
    private func publishHTTP(_ request: HTTPRouteRequest, route: Route, caller: Authorizer.HTTPCaller,
                             address: String, respond: NIOLoopBound<HTTPRouteResponder>)
    {
        let header = hub.headers.event(route, sid: "http-" + SocketID.make(),
                                       user: caller.identity, ack: true, ip: address, auth: caller.mode.rawValue)
        hub.metrics.eventIn(route.event)
        let waiter = HTTPWaiter(loop: handle, route: route, started: .now(), respond: respond)
        hub.send(header, arguments: request.arguments, request: .http(waiter))
    }

    /// The event of a request ended: the reply's first `ack` is the response (500 when it is
    /// none or not one, or the reply has an `error`); a delivery failure is 503, 404 or 500.
    func finishHTTP(_ waiter: HTTPWaiter, _ outcome: RequestOutcome) {
        let response: HTTPRouteResponse
        switch outcome {
        case .answered(let list):
            hub.metrics.busRoundTrip(since: waiter.started)
            if let answer = HTTPRouteResponse.answer(in: list.instructions) {
                response = answer
            } else {
                logUnusableReply(route: waiter.route.event, from: list.header.from, error: nil)
                response = .internalError
            }
        case .failed(let code):
            hub.metrics.busRoundTrip(since: waiter.started)
            logUnusableReply(route: waiter.route.event, from: nil, error: code)
            response = .internalError
        case .undelivered(let failure):
            logDeliveryFailure(failure, event: waiter.route.event, sid: "http")
            hub.metrics.deliveryFailed(failure.code)
            response = HTTPRouteResponse(failure)
        }
        finishHTTP(response, route: waiter.route, respond: waiter.respond.value)
    }

    private func logUnusableReply(route: String, from: String?, error: String?) {
        hub.logger.warning("an HTTP route's reply holds no response (an ack with {status, body})", metadata: [
            "route": "\(route)", "from": "\(from ?? "-")", "error": "\(error ?? "-")",
        ])
    }

    /// Sends `response`; one the edge wrote itself takes the body its route's service declared
    /// for failures (``FailureShape/body``), if any. `route`: the HTTP namespace and the announced
    /// route (`none` when no route matched).
    private func finishHTTP(_ response: HTTPRouteResponse, route: Route, respond: HTTPRouteResponder) {
        var response = response
        if let code = response.code, let body = hub.bus.failureShape(for: route)?.body {
            response.body = FailureShape.fill(body, code: code, event: route.event, now: Clock.millisecondsSinceEpoch()).jsonText
        }
        hub.metrics.httpRequest(route: route.event, status: response.status)
        respond(response)
    }
}
