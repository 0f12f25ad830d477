import Contracts
import Foundation
import Testing

@Suite("FailureShape: the hello's failures, templates, look-up")
struct FailureShapeTests {
    @Test("a hello with failures has a stable text and round trips; one without has no member")
    func helloCodec() throws {
        var hello = Hello(service: "presence", instance: "presence-1", started: 5, ready: true,
                          handles: [Route(ns: "/", event: "user:getRoom")], life: [], interval: 1000)
        let bare = try String(decoding: JSONCoding.encode(hello), as: UTF8.self)
        #expect(!bare.contains("failures"))
        hello.failures = [
            FailureShape(ns: "/", event: "user:getRoom", ack: [["roomId": nil, "error": "INTERNAL_ERROR"]]),
            FailureShape(ns: "/user", event: "*", emit: .init(event: "error", args: [["message": "{{code}}"]])),
            FailureShape(ns: "http", event: "GET /api/x/:id", body: ["code": "{{code}}"]),
        ]
        let wire = try String(decoding: JSONCoding.encode(hello), as: UTF8.self)
        #expect(wire.contains(#""failures":[{"ack":[{"error":"INTERNAL_ERROR","roomId":null}],"event":"user:getRoom","ns":"/"},{"emit":{"args":[{"message":"{{code}}"}],"event":"error"},"event":"*","ns":"/user"},{"body":{"code":"{{code}}"},"event":"GET /api/x/:id","ns":"http"}]"#))
        #expect(try JSONCoding.decode(Hello.self, from: Data(wire.utf8)) == hello)
    }

    @Test("a hello from before failures existed still reads")
    func oldHello() throws {
        let wire = #"{"handles":[],"instance":"a-1","interval":1000,"life":[],"ready":true,"service":"a","started":1}"#
        #expect(try JSONCoding.decode(Hello.self, from: Data(wire.utf8)).failures == nil)
    }

    @Test("markers are replaced wherever they are, other strings stay")
    func fill() {
        let template: JSON = ["error": "Internal error", "code": "{{code}}", "timestamp": "{{timestamp}}",
                              "nested": ["{{event}}", 1, nil, "{{code}} "]]
        let filled = FailureShape.fill(template, code: "SERVICE_UNAVAILABLE", event: "message",
                                       now: 1_770_033_600_123)
        #expect(filled == ["error": "Internal error", "code": "SERVICE_UNAVAILABLE",
                           "timestamp": "2026-02-02T12:00:00.123Z", "nested": ["message", 1, nil, "{{code}} "]])
    }

    @Test("an event's own declaration, else its namespace's, else none; the last heard wins")
    func table() {
        var table = FailureShapeTable()
        let own = FailureShape(ns: "/user", event: "call:initiate", emit: .init(event: "call:error", args: []))
        let any = FailureShape(ns: "/user", event: "*", emit: .init(event: "error", args: []))
        table.note([own, any])
        #expect(table.shape(for: Route(ns: "/user", event: "call:initiate")) == own)
        #expect(table.shape(for: Route(ns: "/user", event: "nope")) == any)
        #expect(table.shape(for: Route(ns: "/", event: "call:initiate")) == nil)
        let newer = FailureShape(ns: "/user", event: "call:initiate", ack: [["success": false]])
        table.note([newer])
        #expect(table.shape(for: Route(ns: "/user", event: "call:initiate")) == newer)
    }
}
