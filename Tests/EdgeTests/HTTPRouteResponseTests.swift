import Bus
import Contracts
import Testing
@testable import Edge

/// From a reply's instructions (or a delivery failure) to the HTTP response; and who an HTTP request is.
@Suite struct HTTPRouteResponseTests {
    func ack(_ answer: JSON) -> Instruction { .ack(Ack(sid: "http-1", args: [answer])) }

    @Test func theFirstAckIsTheResponse() throws {
        let emit = Instruction.emit(Emit(ns: "/", event: "x", args: [], to: Audience(rooms: ["r"])))
        let instructions = [emit, ack(["status": 201, "body": ["id": 5]]), ack(["status": 500])]
        #expect(HTTPRouteResponse.answer(in: instructions) == HTTPRouteResponse(status: 201, body: #"{"id":5}"#))
    }

    @Test func aMissingBodyIsNoBodyAndNullIsJSONNull() {
        #expect(HTTPRouteResponse(answer: ["status": 204]) == HTTPRouteResponse(status: 204, body: ""))
        #expect(HTTPRouteResponse(answer: ["status": 204, "body": ["x": 1]]) == HTTPRouteResponse(status: 204, body: ""))
        #expect(HTTPRouteResponse(answer: ["status": 304, "body": "x"]) == HTTPRouteResponse(status: 304, body: ""))
        #expect(HTTPRouteResponse(answer: ["status": 200, "body": nil]) == HTTPRouteResponse(status: 200, body: "null"))
    }

    @Test func headersAreKeptInNameOrderExceptTheEdgesOwn() {
        let response = HTTPRouteResponse(answer: [
            "status": 200, "body": [],
            "headers": ["X-B": "2", "Cache-Control": "no-store", "content-type": "text/html", "Content-Length": "9"],
        ])
        #expect(response?.headers.map(\.name) == ["Cache-Control", "X-B"])
        #expect(response?.headers.map(\.value) == ["no-store", "2"])
    }

    @Test(arguments: [
        ["status": 99] as JSON, ["status": 600], ["status": 100], ["status": "200"], ["body": 1], "200", nil,
        ["status": 200, "headers": ["X-A": 1]], ["status": 200, "headers": ["X-A": "a\r\nSet-Cookie: x"]],
        ["status": 200, "headers": ["Bad Name": "v"]], ["status": 200, "headers": "X-A: 1"],
    ])
    func anythingElseIsNoResponse(_ answer: JSON) {
        #expect(HTTPRouteResponse(answer: answer) == nil)
    }

    @Test func repliesWithoutAnAckOrAnAnswerAreNoResponse() {
        #expect(HTTPRouteResponse.answer(in: []) == nil)
        #expect(HTTPRouteResponse.answer(in: [.ack(Ack(sid: "http-1", args: []))]) == nil)
    }

    @Test func deliveryFailuresAre503WithTheirCode() {
        #expect(HTTPRouteResponse(.timedOut(afterMilliseconds: 10_000, attempts: 5))
            == HTTPRouteResponse(status: 503, body: #"{"error":"SERVICE_UNAVAILABLE"}"#))
        #expect(HTTPRouteResponse(.overloaded(limit: 1)) == HTTPRouteResponse(status: 503, body: #"{"error":"OVERLOADED"}"#))
        #expect(HTTPRouteResponse(.closed) == HTTPRouteResponse(status: 503, body: #"{"error":"SHUTTING_DOWN"}"#))
        #expect(HTTPRouteResponse(.unknownEvent(Route(ns: "http", event: "GET /x"))) == .notFound)
        #expect(HTTPRouteResponse(.duplicateID("e1")) == .internalError)
        #expect(HTTPRouteResponse.notFound.body == #"{"error":"NOT_FOUND"}"#)
    }

    @Test func aRequestIsTheCookieElseTheBearerElseAnonymous() async throws {
        var configuration = EdgeConfiguration()
        configuration.jwtSecret = AuthorizerTests.secret
        configuration.session = .init(secret: "keyboard cat", database: "/nonexistent.sqlite")
        let authorizer = await Authorizer(configuration: configuration)
        let token = try await JWTAuthenticator(configuration: .init(secret: AuthorizerTests.secret))
            .sign(id: "u1", role: "USER", name: "Ann", expires: nil)
        let anonymous = await authorizer.authenticateHTTP(cookie: "theme=dark", authorization: nil)
        #expect(try anonymous.get() == .init(identity: nil, mode: .none))
        #expect(!authorizer.sendsCredential(cookie: "theme=dark", authorization: nil))
        let bearer = await authorizer.authenticateHTTP(cookie: nil, authorization: "Bearer \(token)")
        #expect(try bearer.get() == .init(identity: Identity(id: "u1", role: "USER", name: "Ann"), mode: .jwt))
        for authorization in ["Bearer nope", "Basic dXNlcjpwYXNz", "Bearer "] {
            #expect(await authorizer.authenticateHTTP(cookie: nil, authorization: authorization).failure == .unauthorized)
        }
        // A sent cookie is what counts, even next to a good token.
        let cookie = await authorizer.authenticateHTTP(cookie: "connect.sid=s%3Ax.y", authorization: "Bearer \(token)")
        #expect(cookie.failure == .unauthorized)
        #expect(authorizer.sendsCredential(cookie: "a=1; connect.sid=s%3Ax.y", authorization: nil))
    }
}
