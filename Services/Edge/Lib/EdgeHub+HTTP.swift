import Bus
import Contracts
import Foundation
import NIOCore

/// Answers one plain HTTP request; called once.
typealias HTTPRouteResponder = (HTTPRouteResponse) -> Void

/// A plain HTTP request waiting for authentication or its service's reply.
struct HTTPWaiting {
    /// The announced route (`none` until one matched), for the metrics.
    let route: String
    /// When the request was published, for the round-trip histogram.
    var started: NIODeadline
    /// Writes the response.
    let respond: HTTPRouteResponder
}

extension EdgeHub {
    /// Serves a plain HTTP request from the routes services announced (`ns: "http"`): matched,
    /// checked, authenticated, then published as the event `<METHOD> <pattern>` to the service,
    /// whose reply's `ack` becomes the response. Everything the edge refuses itself is answered
    /// without publishing anything.
    func serveHTTP(_ incoming: HTTPIncoming, respond: @escaping HTTPRouteResponder) {
        let (path, queryText) = HTTPRouteRequest.split(target: incoming.target)
        let match: HTTPRouteTable.Match
        let request: HTTPRouteRequest
        do {
            guard let found = try bus.matchHTTP(method: incoming.method, path: path) else {
                finishHTTP(.notFound, route: "none", respond: respond)
                return
            }
            match = found
            request = HTTPRouteRequest(method: incoming.method, path: path, params: found.parameters,
                                       query: try HTTPRouteRequest.parseQuery(queryText),
                                       body: try HTTPRouteRequest.parseBody(incoming.body, contentType: incoming.contentType,
                                                                            maxPayload: configuration.maxPayload))
        } catch {
            finishHTTP(HTTPRouteResponse(error), route: "none", respond: respond)
            return
        }
        let id = MessageID.make()
        httpWaiting[id] = HTTPWaiting(route: match.route.text, started: .now(), respond: respond)
        guard authorizer.sendsCredential(cookie: incoming.cookie, authorization: incoming.authorization) else {
            publishHTTP(id, request, route: match.route, caller: .init(identity: nil, mode: .none),
                        address: incoming.address)
            return
        }
        let authorizer = self.authorizer
        let loop = self.loop
        Task {
            let result = await authorizer.authenticateHTTP(cookie: incoming.cookie,
                                                           authorization: incoming.authorization)
            loop.execute { [self] in
                switch result {
                case .success(let caller):
                    publishHTTP(id, request, route: match.route, caller: caller, address: incoming.address)
                case .failure:
                    guard let waiting = httpWaiting.removeValue(forKey: id) else { return }
                    finishHTTP(.unauthorized, route: waiting.route, respond: waiting.respond)
                }
            }
        }
    }

    /// Publishes an authenticated request as the bus event `id` for the service of `route`.
    private func publishHTTP(_ id: String, _ request: HTTPRouteRequest, route: HTTPRoute, caller: Authorizer.HTTPCaller,
                             address: String)
    {
        var header = BusHeader(type: .event, from: bus.instance, id: id)
        header.ns = HTTPRoute.namespace
        header.event = route.text
        header.sid = "http-" + SocketID.make()
        header.edge = bus.instance
        header.user = caller.identity
        header.ack = true
        header.ip = address
        header.auth = caller.mode.rawValue
        header.traceparent = MessageID.traceparent()
        let body = (try? JSONCoding.encode(request.arguments)) ?? Data("[]".utf8)
        httpWaiting[id]?.started = .now()
        metrics.eventIn(route.text)
        bus.send(Envelope(topic: "", header: header, body: body), route: Route(ns: HTTPRoute.namespace, event: route.text)) {
            result in
            self.loop.execute { self.httpFinished(id, result: result) }
        }
    }

    /// The delivery of a request's event ended: the reply's `ack` (or the failure) is the response.
    private func httpFinished(_ id: String, result: Result<Envelope, DeliveryFailure>) {
        guard let waiting = httpWaiting.removeValue(forKey: id) else { return }
        let response: HTTPRouteResponse
        switch result {
        case .success(let reply):
            metrics.busRoundTrip(since: waiting.started)
            if let answer = HTTPRouteResponse.answer(in: reply) {
                response = answer
            } else {
                logger.warning("an HTTP route's reply holds no response (an ack with {status, body})", metadata: [
                    "route": "\(waiting.route)", "from": "\(reply.header.from)", "error": "\(reply.header.error ?? "-")",
                ])
                response = .internalError
            }
        case .failure(let failure):
            logDeliveryFailure(failure, event: waiting.route, sid: "http")
            metrics.deliveryFailed(failure.code)
            response = HTTPRouteResponse(failure)
        }
        finishHTTP(response, route: waiting.route, respond: waiting.respond)
    }

    private func finishHTTP(_ response: HTTPRouteResponse, route: String, respond: HTTPRouteResponder) {
        metrics.httpRequest(route: route, status: response.status)
        respond(response)
    }
}
