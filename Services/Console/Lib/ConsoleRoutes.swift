import Bus
import Contracts
import Foundation
import Hummingbird
import SwitchboardKit

/// The console's HTTP routes, every one behind the token (``TokenMiddleware``):
///
/// | route | answers |
/// | --- | --- |
/// | `GET /` | the page |
/// | `GET /events?service=&event=&user=&room=&sid=&topic=&hello=` | the live stream (``LiveStream``) |
/// | `GET /api/state` | instances, counters, the plots' history, what can be steered |
/// | `GET /api/lookup?user=&room=` | the sockets of a user or in a room |
/// | `POST /api/restart?process=NAME` | restarts a process through supervisord |
/// | `POST /api/send` `{ns, event, args, user}` | sends a test event and answers with its reply |
enum ConsoleRoutes {
    /// The router of `context`.
    static func router(_ context: ConsoleContext) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: TokenMiddleware(token: context.token))
        router.get("/") { request, _ in
            var response = Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                                           .cacheControl: "no-store"],
                                    body: ResponseBody(byteBuffer: ByteBuffer(string: ConsolePage.html)))
            if request.uri.queryParameters["token"] != nil {
                response.headers[.setCookie] = "\(TokenMiddleware.cookieName)=\(context.token.value); "
                    + "Path=/; HttpOnly; SameSite=Strict"
            }
            return response
        }
        router.get("/events") { request, _ in
            let query = request.uri.queryParameters
            func value(_ name: String) -> String? { query[Substring(name)].map(String.init) }
            let filter = TraceFilter(service: value("service"), event: value("event"), user: value("user"),
                                     room: value("room"), sid: value("sid"), topic: value("topic"),
                                     showHello: value("hello") == "1")
            return Response(status: .ok,
                            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                            body: LiveStream(context: context, filter: filter).body())
        }
        router.get("/api/state") { _, _ in
            json(.object([
                "instances": context.state.instancesJSON(), "counters": context.countersJSON(),
                "history": context.state.historyJSON(), "steer": await context.steerJSON(),
            ]))
        }
        router.get("/api/lookup") { request, _ in
            let query = request.uri.queryParameters
            func value(_ name: String) -> String? {
                query[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            }
            return json(context.state.lookupJSON(user: value("user"), room: value("room")))
        }
        router.post("/api/restart") { request, _ in
            guard let name = request.uri.queryParameters["process"].map(String.init), !name.isEmpty else {
                return json(.object(["ok": false, "error": "name a process: ?process=NAME"]), status: .badRequest)
            }
            switch context.supervisor {
            case .failure(let failure):
                return json(.object(["ok": false, "error": .string(failure.description)]), status: .conflict)
            case .success(let supervisor):
                context.logger.notice("restarting \(name) at the page's request")
                do {
                    try await supervisor.restart(name)
                    return json(.object(["ok": true, "process": .string(name)]))
                } catch let error as SupervisorClient.Failure {
                    context.logger.warning("restart of \(name) failed: \(error.description)")
                    return json(.object(["ok": false, "error": .string(error.description)]), status: .badGateway)
                }
            }
        }
        router.post("/api/send") { request, _ in
            let body = try await request.body.collect(upTo: 256 * 1024)
            return json(await TestEvent.send(Data(buffer: body), context: context))
        }
        return router
    }

    /// A JSON response.
    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}

/// Lets a request through when it shows the token: `Authorization: Bearer TOKEN`, the
/// `console_token` cookie (set by the page's first load), or `?token=TOKEN`; otherwise 401.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// The cookie that carries the token after the first visit.
    static let cookieName = "console_token"
    let token: ConsoleToken

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let bearer = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst(7)) : nil
        }
        let shown = bearer ?? request.uri.queryParameters["token"].map(String.init)
            ?? request.cookies[Self.cookieName]?.value
        guard token.accepts(shown) else {
            return Response(status: .unauthorized,
                            headers: [.contentType: "text/plain; charset=utf-8", .wwwAuthenticate: "Bearer"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string:
                                "401: open the console with its token, http://HOST:PORT/?token=TOKEN "
                                + "(printed at its first start, kept in data/console.token)\n")))
        }
        return try await next(request, context)
    }
}
