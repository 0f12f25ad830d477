import Contracts
import EngineIO
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP on a listener: Engine.IO polling, CORS preflight, `/health`, `/metrics`, and the
/// HTTP routes services announced (``serveRoute(_:context:)``). WebSocket requests never reach
/// it (the upgrader takes them) unless they were refused.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let edge: EdgeLoop
    private let listener: Int
    private var head: HTTPRequestHead?
    /// The body of the request being received, up to one byte past `maxPayload`.
    private var body: [UInt8] = []
    private var waitingForPoll = false
    /// A POST being received: its session, and whether the session refused it at its head.
    private var post: (sid: String, responder: Responder, refused: Bool)?

    /// A handler for a connection of `listener` on the loop of `edge`.
    init(edge: EdgeLoop, listener: Int) {
        self.edge = edge
        self.listener = listener
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            body = []
            if declaresTooLargeRouteBody(requestHead) {
                // Answered at once: the body is not read at all, and the connection closes.
                head = nil
                var closing = requestHead
                closing.headers.replaceOrAdd(name: "connection", value: "close")
                let refusal = HTTPRouteResponse.payloadTooLarge
                respond(EngineHTTPResponse(status: refusal.status, contentType: "application/json", body: refusal.body),
                        head: closing, origin: requestHead.headers.first(name: "origin"), route: true, context: context)
                return
            }
            head = requestHead
            beginPost(requestHead, context: context)
        case .body(var buffer):
            guard post?.refused != true else { return }
            // Keep one byte past the limit, so the session sees the body is too large.
            let room = edge.hub.configuration.maxPayload + 1 - body.count
            if room > 0 { body += buffer.readBytes(length: min(room, buffer.readableBytes)) ?? [] }
        case .end:
            guard let head else { return }
            self.head = nil
            if let post {
                self.post = nil
                if !post.refused { completePost(post.sid, responder: post.responder) }
                return
            }
            handle(head, context: context)
        }
    }

    /// A request for a service's route (outside the Engine.IO path, whose sessions answer
    /// their own 413) whose `Content-Length` already exceeds `maxPayload`.
    private func declaresTooLargeRouteBody(_ head: HTTPRequestHead) -> Bool {
        guard let length = head.headers.first(name: "content-length").flatMap(Int.init),
              length > edge.hub.configuration.maxPayload
        else { return false }
        let configuration = edge.hub.configuration
        return !head.uri.hasPrefix(configuration.path)
            && !configuration.engines(ofListener: listener).keys.contains { head.uri.hasPrefix($0) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if waitingForPoll { edge.pollAbandonedEverywhere(owner: ObjectIdentifier(self)) }
        context.fireChannelInactive()
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let origin = head.headers.first(name: "origin")
        if path == "/health" && head.method == .GET {
            respond(EngineHTTPResponse(status: 200, contentType: "application/json", body: edge.hub.healthJSON),
                    head: head, origin: nil, context: context)
            return
        }
        if path == "/metrics" && head.method == .GET {
            respond(EngineHTTPResponse(status: 200, contentType: "text/plain; version=0.0.4",
                                       body: edge.hub.metrics.exposition()), head: head, origin: nil, context: context)
            return
        }
        // Preflights for the Engine.IO path and the HTTP routes alike, as Express's cors() does.
        if head.method == .OPTIONS {
            preflight(head, context: context)
            return
        }
        let served: ServedEngineRequest?
        do {
            served = try edge.hub.configuration.engineRequest(method: head.method.rawValue, target: head.uri,
                                                              headers: head.headers.map { ($0.name, $0.value) },
                                                              listener: listener)
        } catch {
            respond(error.response, head: head, origin: origin, context: context)
            return
        }
        guard let served else {
            serveRoute(head, context: context)
            return
        }
        let request = served.request
        let responder = makeResponder(head: head, origin: origin, context: context)
        let owner = ObjectIdentifier(self)
        switch request.kind {
        case .handshake(.polling):
            edge.open(transport: .polling, listener: listener, address: Self.address(of: context.channel),
                      cookie: head.headers.first(name: "cookie"), webSocket: nil, incoming: (owner, responder),
                      plain: served.plain)
        case .handshake(.websocket):
            responder(EngineError(.badRequest).response)
        case .poll(let sid):
            waitingForPoll = true
            let plain = served.plain
            edge.session(sid, listener: listener, respond: responder) { driver, respond in
                guard let driver, driver.plain == plain else { return respond(EngineError(.unknownSessionID).response) }
                driver.engine(.pollArrived, incoming: (owner, respond))
            }
        case .post:
            // A POST to a live session began at its head (``beginPost``); this one has none.
            responder(EngineError(.unknownSessionID).response)
        case .upgrade(let sid):
            edge.session(sid, listener: nil, respond: responder) { driver, respond in
                respond(EngineError(driver == nil ? .unknownSessionID : .badRequest).response)
            }
        case .otherMethod(let sid):
            edge.session(sid, listener: nil, respond: responder) { driver, respond in
                respond(driver == nil ? EngineError(.unknownSessionID).response : EngineHTTPResponse(status: 500))
            }
        }
    }

    /// A request outside the Engine.IO path, `/health` and `/metrics`: handed to the loop's
    /// HTTP gateway, which matches it against the routes services announced and answers it from
    /// their reply.
    private func serveRoute(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let incoming = HTTPIncoming(method: head.method.rawValue, target: head.uri,
                                    cookie: head.headers.first(name: "cookie"),
                                    authorization: head.headers.first(name: "authorization"),
                                    contentType: head.headers.first(name: "content-type"),
                                    address: Self.address(of: context.channel),
                                    namespace: Route.httpNamespace(of: edge.hub.configuration.busNamespace("/", ofListener: listener)),
                                    body: body)
        let origin = head.headers.first(name: "origin")
        var answered = false
        edge.serveHTTP(incoming) { [weak self] response in
            guard let self, !answered else { return }
            answered = true
            let engineResponse = EngineHTTPResponse(status: response.status,
                                                    contentType: response.body.isEmpty ? nil : "application/json",
                                                    body: response.body)
            self.respond(engineResponse, extra: response.headers, head: head, origin: origin, route: true,
                         context: context)
        }
    }

    /// A POST to a live session starts at its head, so that two POSTs at once are seen as such.
    private func beginPost(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        post = nil
        guard head.method == .POST,
              let served = try? edge.hub.configuration.engineRequest(
                  method: "POST", target: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                  listener: listener),
              case .post(let sid) = served.request.kind, edge.mayKnowSession(sid, plain: served.plain)
        else { return }
        let plain = served.plain
        let origin = head.headers.first(name: "origin")
        let responder = makeResponder(head: head, origin: origin, context: context)
        post = (sid, responder, false)
        let length = head.headers.first(name: "content-length").flatMap(Int.init)
        let began = EngineEvent.postBegan(contentType: head.headers.first(name: "content-type"), contentLength: length)
        let owner = ObjectIdentifier(self)
        let refused: Responder = { [weak self] response in
            guard let self else { return }
            self.post?.refused = true
            guard response.status == 413 else { return responder(response) }
            // Too large by its own declaration: answered without reading the body,
            // and the connection closes rather than take it.
            var closing = head
            closing.headers.replaceOrAdd(name: "connection", value: "close")
            self.respond(response, head: closing, origin: origin, context: context)
        }
        // On the session's loop; a session that is not (or not of this endpoint) refuses the POST.
        edge.session(sid, listener: listener, respond: refused) { driver, respond in
            guard let driver, driver.plain == plain else { return respond(EngineError(.unknownSessionID).response) }
            driver.engine(began, incoming: (owner, respond))
        }
    }

    /// The whole body of an accepted POST arrived.
    private func completePost(_ sid: String, responder: @escaping Responder) {
        let (owner, body) = (ObjectIdentifier(self), body)
        edge.session(sid, listener: nil, respond: responder) { driver, respond in
            guard let driver else { return respond(EngineError(.unknownSessionID).response) }
            driver.engine(.postCompleted(body: body), incoming: (owner, respond))
        }
    }

    /// A responder that writes the response on this channel once (a long poll may answer later).
    private func makeResponder(head: HTTPRequestHead, origin: String?, context: ChannelHandlerContext) -> Responder {
        var answered = false
        return { [weak self] response in
            guard let self, !answered else { return }
            answered = true
            self.waitingForPoll = false
            self.respond(response, head: head, origin: origin, context: context)
        }
    }

    /// Writes a response with the CORS headers for `origin` (of a service's route when `route`)
    /// and the `extra` headers.
    private func respond(_ response: EngineHTTPResponse, extra: [(name: String, value: String)] = [],
                         head: HTTPRequestHead, origin: String?, route: Bool = false, context: ChannelHandlerContext)
    {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        if let type = response.contentType { headers.add(name: "Content-Type", value: type) }
        for (name, value) in extra { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        corsHeaders(origin: origin, route: route, into: &headers)
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))),
                      promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }

    /// Answers a CORS preflight, as the `cors` package does for socket.io.
    private func preflight(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        corsHeaders(origin: head.headers.first(name: "origin"), route: !path.hasPrefix(edge.hub.configuration.path),
                    into: &headers)
        headers.add(name: "Access-Control-Allow-Methods", value: "GET,HEAD,PUT,PATCH,POST,DELETE")
        if let requested = head.headers.first(name: "access-control-request-headers") {
            headers.add(name: "Access-Control-Allow-Headers", value: requested)
            headers.add(name: "Vary", value: "Access-Control-Request-Headers")
        }
        headers.add(name: "Content-Length", value: "0")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .noContent,
                                                             headers: headers))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// CORS as socket.io's `cors` package answers: the origin reflected when allowed, with
    /// credentials when configured. For a service's `route`, an origin allowed only through
    /// `*` gets `*` and never credentials, so that no other site can read a logged-in user's
    /// answers with the session cookie; listed origins get credentials as configured.
    private func corsHeaders(origin: String?, route: Bool, into headers: inout HTTPHeaders) {
        let cors = edge.hub.configuration.cors
        if route, let origin, !cors.origins.contains(origin) {
            if cors.origins.contains("*") { headers.add(name: "Access-Control-Allow-Origin", value: "*") }
            return
        }
        guard let origin else {
            if cors.origins.contains("*") && !cors.credentials { headers.add(name: "Access-Control-Allow-Origin", value: "*") }
            return
        }
        guard cors.origins.contains("*") || cors.origins.contains(origin) else { return }
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Vary", value: "Origin")
        if cors.credentials { headers.add(name: "Access-Control-Allow-Credentials", value: "true") }
    }

    /// The peer's IP address, for rate limits and the bus header.
    static func address(of channel: Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
