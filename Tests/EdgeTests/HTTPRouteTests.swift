import Contracts
import Foundation
import Testing
@testable import Edge

/// Route patterns, matching with precedence and percent-decoding, query and body parsing: the
/// value types, without NIO.
@Suite struct HTTPRouteTests {
    func table(_ routes: String...) -> HTTPRouteTable {
        var table = HTTPRouteTable()
        for route in routes {
            let announced = table.announce(route, in: "http", service: "chat")
            #expect(announced)
        }
        return table
    }

    @Test func aPatternIsAMethodAndSegments() throws {
        let route = try #require(HTTPRoute("GET /api/channels/:id/messages"))
        #expect(route.method == "GET")
        #expect(route.segments == [.literal("api"), .literal("channels"), .parameter("id"), .literal("messages")])
        #expect(route.text == "GET /api/channels/:id/messages")
    }

    @Test(arguments: ["", "GET", "GET api/x", "GET /a/:/b", "/api/x", "GET  /x", "G3T /x", "GET /x extra"])
    func notARoute(_ text: String) {
        #expect(HTTPRoute(text) == nil)
        var table = HTTPRouteTable()
        let announced = table.announce(text, in: "http", service: "chat")
        #expect(!announced)
    }

    @Test func parametersMatchOneNonEmptySegment() throws {
        let routes = table("GET /api/channels/:id/messages")
        let match = try #require(try routes.match(in: "http", method: "GET", path: "/api/channels/12/messages"))
        #expect(match.parameters == ["id": "12"])
        #expect(match.service == "chat")
        #expect(match.route.text == "GET /api/channels/:id/messages")
        for path in ["/api/channels//messages", "/api/channels/12", "/api/channels/12/messages/",
                     "/api/channels/1/2/messages", "api/channels/12/messages", "/API/channels/12/messages"] {
            #expect(try routes.match(in: "http", method: "GET", path: path) == nil, "\(path)")
        }
        #expect(try routes.match(in: "http", method: "POST", path: "/api/channels/12/messages") == nil)
    }

    @Test func literalSegmentsBeatParametersWhateverTheOrder() throws {
        for routes in [table("GET /api/:a/x", "GET /api/me/:b", "GET /api/me/x"),
                       table("GET /api/me/x", "GET /api/me/:b", "GET /api/:a/x")] {
            #expect(try routes.match(in: "http", method: "GET", path: "/api/me/x")?.route.text == "GET /api/me/x")
            #expect(try routes.match(in: "http", method: "GET", path: "/api/me/y")?.route.text == "GET /api/me/:b")
            #expect(try routes.match(in: "http", method: "GET", path: "/api/you/x")?.route.text == "GET /api/:a/x")
        }
        // The first segment that differs decides: `/api/me/:b` beats `/api/:a/x` on `/api/me/x`.
        let two = table("GET /api/:a/x", "GET /api/me/:b")
        #expect(try two.match(in: "http", method: "GET", path: "/api/me/x")?.route.text == "GET /api/me/:b")
    }

    @Test func segmentsArePercentDecodedAfterSplitting() throws {
        let routes = table("GET /api/echo/:word", "GET /api/caf\u{e9}")
        #expect(try routes.match(in: "http", method: "GET", path: "/api/echo/a%20b")?.parameters == ["word": "a b"])
        #expect(try routes.match(in: "http", method: "GET", path: "/api/echo/a%2Fb")?.parameters == ["word": "a/b"])
        #expect(try routes.match(in: "http", method: "GET", path: "/api/caf%C3%A9")?.route.text == "GET /api/caf\u{e9}")
        #expect(throws: HTTPRequestError.badRequest) { try routes.match(in: "http", method: "GET", path: "/api/echo/%zz") }
    }

    @Test func eachAppHasItsOwnRoutes() throws {
        var routes = table("GET /api/channels/:id/messages")
        routes.announce("GET /api/rooms", in: "chatto:http", service: "chat")
        #expect(try routes.match(in: "zizany:http", method: "GET", path: "/api/channels/1/messages") == nil)
        #expect(try routes.match(in: "chatto:http", method: "GET", path: "/api/channels/1/messages") == nil)
        #expect(try routes.match(in: "chatto:http", method: "GET", path: "/api/rooms")?.route.text == "GET /api/rooms")
        #expect(try routes.match(in: "http", method: "GET", path: "/api/rooms") == nil)
        #expect(Route.httpNamespace(of: "/") == "http")
        #expect(Route.httpNamespace(of: "/user") == "http")
        #expect(Route.httpNamespace(of: "zizany/") == "zizany:http")
        #expect(Route.httpNamespace(of: "telecaller/user") == "telecaller:http")
        #expect(Route.isHTTPNamespace("http") && Route.isHTTPNamespace("zizany:http"))
        #expect(!Route.isHTTPNamespace("/http") && !Route.isHTTPNamespace("zizany/http") && !Route.isHTTPNamespace(""))
    }

    @Test func theServiceHeardLastWins() throws {
        var routes = table("GET /x")
        routes.announce("GET /x", in: "http", service: "other")
        #expect(try routes.match(in: "http", method: "GET", path: "/x")?.service == "other")
    }

    @Test func queriesAreDecodedAndTheLastRepeatWins() throws {
        #expect(try HTTPRouteRequest.parseQuery("before=10&limit=20") == ["before": "10", "limit": "20"])
        #expect(try HTTPRouteRequest.parseQuery("a=1&a=2") == ["a": "2"])
        #expect(try HTTPRouteRequest.parseQuery("q=a+b%20c&%C3%A9=%26") == ["q": "a b c", "\u{e9}": "&"])
        #expect(try HTTPRouteRequest.parseQuery("flag&&=x&e=") == ["flag": "", "": "x", "e": ""])
        #expect(try HTTPRouteRequest.parseQuery("") == [:])
        #expect(try HTTPRouteRequest.parseQuery("x=a=b") == ["x": "a=b"])
        #expect(throws: HTTPRequestError.badRequest) { try HTTPRouteRequest.parseQuery("x=%E0%A4") }
    }

    @Test func aTargetSplitsAtTheFirstQuestionMark() {
        let both = HTTPRouteRequest.split(target: "/a/b?x=1?y")
        #expect(both.path == "/a/b" && both.query == "x=1?y")
        let pathOnly = HTTPRouteRequest.split(target: "/a")
        #expect(pathOnly.path == "/a" && pathOnly.query.isEmpty)
    }

    @Test func bodiesAreJSONOrNothing() throws {
        #expect(try HTTPRouteRequest.parseBody([], contentType: nil, maxPayload: 10) == .null)
        #expect(try HTTPRouteRequest.parseBody(Array(#"{"a":[1]}"#.utf8), contentType: "application/json", maxPayload: 10) == ["a": [1]])
        #expect(try HTTPRouteRequest.parseBody(Array("42".utf8), contentType: "application/merge-patch+json; charset=utf-8", maxPayload: 10) == 42)
        #expect(throws: HTTPRequestError.badRequest) { try HTTPRouteRequest.parseBody(Array("{a".utf8), contentType: "application/json", maxPayload: 10) }
        #expect(throws: HTTPRequestError.payloadTooLarge) {
            try HTTPRouteRequest.parseBody(Array("[1,2,3,4,5]".utf8), contentType: "application/json", maxPayload: 10)
        }
        // Bodies a browser sends cross-site without a preflight are not taken for JSON.
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", nil] {
            #expect(throws: HTTPRequestError.unsupportedMediaType) {
                try HTTPRouteRequest.parseBody(Array("{}".utf8), contentType: type, maxPayload: 10)
            }
        }
    }

    @Test func theEventArgumentHoldsEveryPart() throws {
        let request = HTTPRouteRequest(method: "GET", path: "/api/channels/1/messages", params: ["id": "1"],
                                       query: ["limit": "5"], body: .null)
        #expect(try JSONCoding.encode(request.arguments) == Data(
            #"[{"body":null,"method":"GET","params":{"id":"1"},"path":"/api/channels/1/messages","query":{"limit":"5"}}]"#
                .utf8))
    }
}
