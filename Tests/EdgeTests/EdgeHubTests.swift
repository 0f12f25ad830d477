import Bus
import Contracts
import EngineIO
import Foundation
import Testing
@testable import Edge

/// The hub's Socket.IO-over-bus logic on a fake bus port: Socket.IO packets in, bus messages
/// out, replies in, packets out, all written as specs (see ``EdgeHarness``).
@Suite(.serialized) struct EdgeHubTests {
    let header = #"{"ack":true,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"}"#

    @Test func aClientEventBecomesABusEventAndItsReplyTheAckThenTheEmit() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        #expect(edge.facts() == [
            #"life connected {"edge":"edge-test","sid":"<a>"} [{"ip":"10.0.0.7","ns":"/","sid":"<a>","transport":"websocket"}]"#,
        ])
        try a.send(#"421["echo","hi",{"b":1}]"#)
        #expect(edge.sentEvents() == [#"/ echo \#(header) ["hi",{"b":1}]"#])
        try edge.reply(to: 0, #"[{"op":"ack","sid":"<a>","args":["hi",{"b":1}]},{"op":"emit","ns":"/","event":"echo","args":["hi"],"to":{"sids":["<a>"]}}]"#)
        #expect(try a.received() == [#"431["hi",{"b":1}]"#, #"42["echo","hi"]"#])
        #expect(edge.bus.pendingCount == 0)
    }

    @Test func anEventWithoutAnAckSaysSoAndItsReplyIsCarriedOutOnce() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        let b = try edge.client("b")
        _ = edge.facts()
        try a.send(#"42["say","x"]"#)
        #expect(edge.sentEvents() == [#"/ say {"ack":false,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"} ["x"]"#])
        let reply = try edge.reply(to: 0, #"[{"op":"emit","ns":"/","event":"said","args":["x"],"to":{"all":true}}]"#)
        #expect(try a.received() == [#"42["said","x"]"#])
        #expect(try b.received() == [#"42["said","x"]"#])
        // The same reply again (a re-published event answered twice) reaches the hub from the
        // bridge, no event waiting for it any more: it is not carried out again.
        edge.hub.receive(reply)
        edge.run()
        #expect(try a.received().isEmpty && (try b.received()).isEmpty)
    }

    @Test func anotherEdgesReplyIsCarriedOutForTheRoomButItsAckIsNotOurs() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        try a.send(#"420["join","lobby"]"#)
        try edge.reply(to: 0, #"[{"op":"join","ns":"/","rooms":["lobby"],"sids":["<a>"]},{"op":"ack","sid":"<a>","args":[{"joined":"lobby"}]}]"#)
        #expect(try a.received() == [#"430[{"joined":"lobby"}]"#])
        #expect(edge.facts().last == #"life joined {"edge":"edge-test","sid":"<a>"} [{"ns":"/","room":"lobby","sid":"<a>"}]"#)
        edge.receive(.reply, #"[{"op":"emit","ns":"/","event":"msg","args":[1],"to":{"rooms":["lobby"]}},{"op":"ack","sid":"elsewhere","args":[]}]"#,
                     re: "e-other")
        #expect(try a.received() == [#"42["msg",1]"#])
        edge.receive(.reply, #"[{"op":"emit","ns":"/","event":"msg","args":[1],"to":{"rooms":["lobby"]}}]"#, re: "e-other")
        #expect(try a.received().isEmpty, "a reply is carried out once")
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"msg","args":[2],"to":{"rooms":["lobby"]},"except":{"sids":["<a>"]}},{"op":"emit","ns":"/","event":"msg","args":[3],"to":{"users":[],"rooms":["lobby"]}}]"#)
        #expect(try a.received() == [#"42["msg",3]"#])
    }

    @Test func aDurableEmitPublishedAgainIsCarriedOutOnce() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        let body = Data(edge.unnamed(#"[{"op":"emit","ns":"/","event":"call:missed","args":[],"to":{"sids":["<a>"]}}]"#).utf8)
        let emit = Envelope(topic: Topic.edge, header: BusHeader(type: .emit, from: "call-1", id: "m1"), body: body)
        edge.hub.receive(emit)
        edge.run()
        #expect(try a.received() == [#"42["call:missed"]"#])
        var again = emit
        again.header.from = "call-2"
        edge.hub.receive(again)
        edge.run()
        #expect(try a.received().isEmpty, "the same id after a crash of its service: shown once")
    }

    @Test func aServiceAsksForTheClientsAckAndGetsTheAnswerOrTheTimeout() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"question","args":["what?"],"to":{"sids":["<a>"]},"ack":{"event":"answer","token":"t1"}}]"#)
        #expect(try a.received() == [#"421["question","what?"]"#])
        try a.send(#"431["fine"]"#)
        #expect(edge.sentEvents() == [#"/ answer {"ack":false,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"} [{"args":["fine"],"ok":true,"token":"t1"}]"#])
        try a.send(#"431["again"]"#)
        #expect(edge.sentEvents().isEmpty, "an ack is answered once")

        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"question","args":[],"to":{"sids":["<a>"]},"ack":{"event":"answer","timeoutMs":100}}]"#)
        #expect(try a.received() == [#"422["question"]"#])
        edge.loop.advanceTime(to: edge.edge.deadline(edge.edge.now + Int64(150)))
        #expect(edge.sentEvents() == [#"/ answer {"ack":false,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"} [{"error":"TIMEOUT","ok":false}]"#])
    }

    @Test func aClientsBinaryAnswerToAServiceReachesItWithItsAttachment() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"question","args":["pic?"],"to":{"sids":["<a>"]},"ack":{"event":"answer","token":"t2"}}]"#)
        #expect(try a.received() == [#"421["question","pic?"]"#])
        try a.send(#"461-1[{"_placeholder":true,"num":0}]"#)
        #expect(edge.sentEvents().isEmpty, "the answer waits for its attachment")
        try a.send(binary: [5, 6])
        #expect(edge.sentEvents() == [#"/ answer {"ack":false,"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test","sid":"<a>"} [{"args":[{"_placeholder":true,"num":0}],"ok":true,"token":"t2"}] +0506"#])
    }

    @Test func binaryGoesOutAsAttachmentsAndComesBackRenumbered() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        try a.send(#"451-0["upload",{"_placeholder":true,"num":0}]"#)
        #expect(edge.sentEvents().isEmpty, "the event waits for its attachment")
        try a.send(binary: [1, 2, 3])
        #expect(edge.sentEvents() == [#"/ upload \#(header) [{"_placeholder":true,"num":0}] +010203"#])
        // The reply numbers its attachments across the whole body; each packet from 0.
        try edge.reply(to: 0, #"[{"op":"emit","ns":"/","event":"pic","args":[{"_placeholder":true,"num":0}],"to":{"sids":["<a>"]}},{"op":"ack","sid":"<a>","args":[{"_placeholder":true,"num":1}]}]"#,
                       attachments: [[7], [9, 9]])
        #expect(try a.received() == [#"451-["pic",{"_placeholder":true,"num":0}]"#, "+07",
                                     #"461-0[{"_placeholder":true,"num":0}]"#, "+0909"])
    }

    @Test func aServiceDecidesAConnection() async throws {
        let edge = await EdgeHarness(namespaces: ["/user": .init(auth: .none, decide: true)])
        let decision = #"/user connect {"auth":"none","edge":"edge-test","ip":"10.0.0.7","replyTo":"edge.edge-test"} [{"auth":{"device":"ios","token":"secret"},"ip":"10.0.0.7"}]"#
        let accepted = try edge.client("a", joining: nil)
        try accepted.send(#"40/user,{"token":"secret","device":"ios"}"#)
        #expect(edge.sentEvents() == [decision], "a token the edge did not check is passed on as sent")
        #expect(try accepted.received().isEmpty, "the CONNECT waits for the decision")
        try edge.reply(to: 0, #"[{"op":"accept","data":{"accountStatus":"ACTIVE"}}]"#)
        try accepted.joined(from: accepted.received().first ?? "")

        let rejected = try edge.client("b", joining: nil)
        try rejected.send(#"40/user,{"device":"ios"}"#)
        try edge.reply(to: 1, #"[{"op":"reject","data":{"message":"Account suspended. Please contact support."}}]"#)
        #expect(try rejected.received() == [#"44/user,{"message":"Account suspended. Please contact support."}"#])

        let silent = try edge.client("c", joining: nil)
        try silent.send(#"40/user,{"device":"ios"}"#)
        try edge.reply(to: 2, "[]")
        #expect(try silent.received() == [#"44/user,{"message":"Connection refused"}"#])

        let unanswered = try edge.client("d", joining: nil)
        try unanswered.send(#"40/user,{"device":"ios"}"#)
        edge.bus.fail(edge.bus.sent[3], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try unanswered.received() == [#"44/user,{"data":{"code":"SERVICE_UNAVAILABLE"},"message":"Service unavailable"}"#])
        #expect(edge.sentEvents().count == 3)
    }

    @Test func aResyncIsAnsweredWithEverySocketAndItsRooms() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        _ = try edge.client("b")
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["lobby","x"],"sids":["<a>"]}]"#)
        _ = edge.facts()
        var header = BusHeader(type: .event, from: "presence-1", id: "r1")
        header.event = "resync"
        let request = Envelope(topic: Topic.edge, header: header, body: Data("[]".utf8))
        edge.hub.receive(request)
        edge.run()
        let facts = edge.facts()
        #expect(facts.count == 1)
        let fact = try #require(facts.first)
        #expect(fact.hasPrefix(#"life snapshot {"edge":"edge-test","re":"r1"} [{"edge":"edge-test","sockets":["#))
        #expect(fact.contains(#"{"ns":"/","rooms":["lobby","x"],"sid":"<a>"}"#))
        #expect(fact.contains(#"{"ns":"/","rooms":[],"sid":"<b>"}"#))
        #expect(a.sid < edge.names[1].sid ? fact.contains(#""<a>"},{"#) : fact.contains(#""<b>"},{"#),
                "the sockets come in sid order")
    }

    @Test func deliveryFailuresAnswerTheAckWithTheirCode() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        try a.send(#"421["slow"]"#)
        edge.bus.fail(edge.bus.sent[0], .timedOut(afterMilliseconds: 10_000, attempts: 5))
        edge.run()
        #expect(try a.received() == [#"431[{"error":"SERVICE_UNAVAILABLE"}]"#])

        edge.bus.forget(Route(ns: "/", event: "nobody"))
        try a.send(#"422["nobody"]"#)
        #expect(try a.received() == [#"432[{"error":"UNKNOWN_EVENT"}]"#])

        try a.send(#"423["fail"]"#)
        try edge.bus.reply(to: edge.bus.sent[1], [], error: "INTERNAL_ERROR")
        edge.run()
        #expect(try a.received() == [#"433[{"error":"INTERNAL_ERROR"}]"#])

        try a.send(#"42["slow"]"#)
        edge.bus.fail(edge.bus.sent[2], .overloaded(limit: 1))
        edge.run()
        #expect(try a.received().isEmpty, "without an ack the failure is only logged and counted")
        let metrics = edge.hub.metrics.exposition()
        #expect(metrics.contains(#"switchboard_edge_delivery_failures_total{code="SERVICE_UNAVAILABLE"} 1"#))
        #expect(metrics.contains(#"switchboard_edge_delivery_failures_total{code="OVERLOADED"} 1"#))
    }

    /// socket.io-protocol "connection with a payload": services see the CONNECT payload as sent.
    @Test func theConnectPayloadReachesServicesAsSent() async throws {
        let edge = await EdgeHarness(namespaces: ["/": .init(auth: .none), "/custom": .init(auth: .none)])
        let a = try edge.client("a", joining: nil)
        try a.send(#"40{"token":"123"}"#)
        try a.joined(from: a.received().first ?? "")
        #expect(edge.facts().first?.contains(#""auth":{"token":"123"}"#) == true)
        try a.send(#"40/custom,{"token":"abc"}"#)
        #expect(try a.received().first?.hasPrefix("40/custom,{\"sid\":") == true)
        #expect(edge.facts().first?.contains(#""auth":{"token":"abc"}"#) == true)
    }

    @Test func aSocketThatLeftIsToldNothingAndItsFactsSaySo() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["lobby"],"sids":["<a>"]}]"#)
        try a.send(#"421["echo"]"#)
        _ = edge.facts()
        try a.send("41")
        #expect(edge.facts() == [#"life disconnected {"edge":"edge-test","sid":"<a>"} [{"ns":"/","reason":"client namespace disconnect","rooms":["lobby"],"sid":"<a>"}]"#])
        try edge.reply(to: 0, #"[{"op":"ack","sid":"<a>","args":[]}]"#)
        #expect(try a.received().isEmpty)
    }
}
