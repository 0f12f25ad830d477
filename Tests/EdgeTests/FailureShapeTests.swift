import Bus
import Contracts
import Testing
@testable import Edge

/// Failure shapes declared in services' hellos (`failures`), on the hub and the fake bus: what a
/// client gets when its event is not delivered within the bound or its handler fails.
@Suite struct FailureShapeTests {
    @Test func aDeclaredAckTemplateAnswersAfterTheBound() async throws {
        let edge = await EdgeHarness()
        edge.bus.declare(FailureShape(ns: "/", event: "user:getRoom", ack: [["roomId": nil, "error": "INTERNAL_ERROR"]]))
        let a = try edge.client("a")
        try a.send(#"421["user:getRoom",{"userId":1}]"#)
        #expect(try a.received().isEmpty, "nothing before the bound")
        edge.bus.fail(edge.bus.sent[0], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try a.received() == [#"431[{"error":"INTERNAL_ERROR","roomId":null}]"#])

        try a.send(#"422["user:getRoom",{"userId":1}]"#)
        try edge.bus.reply(to: edge.bus.sent[1], [], error: "INTERNAL_ERROR")
        edge.run()
        #expect(try a.received() == [#"432[{"error":"INTERNAL_ERROR","roomId":null}]"#], "a failed handler too")
    }

    @Test func aDeclaredEmitGoesToTheSenderAloneWithOrWithoutAnAck() async throws {
        let edge = await EdgeHarness(namespaces: ["/user": .init(auth: .none)])
        edge.bus.declare(FailureShape(ns: "/user", event: "call:initiate",
                                      emit: .init(event: "call:error", args: [["message": "{{code}} on {{event}}"]])),
                         FailureShape(ns: "/user", event: "*",
                                      emit: .init(event: "error", args: [["message": "{{code}}", "event": "{{event}}"]])))
        let a = try edge.client("a", joining: "/user")
        let b = try edge.client("b", joining: "/user")
        try a.send(#"42/user,["call:initiate",{"telecallerId":"7"}]"#)
        edge.bus.fail(edge.bus.sent[0], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try a.received() == [#"42/user,["call:error",{"message":"{{code}} on {{event}}"}]"#],
                "markers are whole strings only")
        #expect(try b.received().isEmpty)

        edge.bus.forget(Route(ns: "/user", event: "nope"))
        try a.send(#"42/user,5["nope"]"#)
        edge.run()
        #expect(try a.received() == [#"42/user,["error",{"event":"nope","message":"UNKNOWN_EVENT"}]"#,
                                     #"43/user,5[{"error":"UNKNOWN_EVENT"}]"#],
                "the namespace's declaration for an unknown event; no ack template: the default ack")
    }

    @Test func withoutADeclarationTheDefaultStays() async throws {
        let edge = await EdgeHarness()
        edge.bus.declare(FailureShape(ns: "/other", event: "*", emit: .init(event: "error", args: [])))
        let a = try edge.client("a")
        try a.send(#"421["slow"]"#)
        try a.send(#"42["quiet"]"#)
        edge.bus.fail(edge.bus.sent[0], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.bus.fail(edge.bus.sent[1], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try a.received() == [#"431[{"error":"SERVICE_UNAVAILABLE"}]"#])
    }

    @Test func anAnswerIsNotAFailure() async throws {
        let edge = await EdgeHarness()
        edge.bus.declare(FailureShape(ns: "/", event: "*", ack: [["failed": true]], emit: .init(event: "error", args: [])))
        let a = try edge.client("a")
        try a.send(#"421["echo"]"#)
        _ = try edge.reply(to: 0, #"[{"op":"ack","sid":"<a>","args":[{"ok":true}]}]"#)
        #expect(try a.received() == [#"431[{"ok":true}]"#])
    }
}
