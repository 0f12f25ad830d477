import Bus
import Contracts
@testable import Console
import Foundation
import Testing

/// The state the page reads: instances from hellos (alive within three intervals, restarts),
/// an event's reply with its latency, the ring that loses old lines to a slow reader, the
/// per-second figures and the sockets seen in life facts.
@Suite struct ConsoleStateTests {
    private func envelope(_ type: MessageType, topic: String, from: String, id: String = MessageID.make(),
                          event: String? = nil, re: String? = nil, error: String? = nil, sid: String? = nil,
                          body: String = "[]") -> Envelope {
        var header = BusHeader(type: type, from: from)
        header.id = id
        header.event = event
        header.re = re
        header.error = error
        header.sid = sid
        header.edge = type == .life ? from : nil
        return Envelope(topic: topic, header: header, body: Data(body.utf8))
    }

    private func hello(_ service: String, _ instance: String, started: Int64) -> Envelope {
        let hello = Hello(service: service, instance: instance, started: started, ready: true,
                          handles: [Route(ns: "/", event: "ping")], life: [], interval: 1000)
        return envelope(.hello, topic: Topic.hello, from: instance,
                        body: String(decoding: try! JSONCoding.encode(hello), as: UTF8.self))
    }

    @Test func instancesAreAliveWithinThreeIntervalsAndRestartsAreNoted() {
        let state = ConsoleState(configuration: ConsoleConfiguration())
        state.ingest([hello("chat", "chat-aaaaaa", started: 1000)], now: 10_000)
        state.ingest([hello("chat", "chat-bbbbbb", started: 9000)], now: 11_000)
        let rows = state.instancesJSON(now: 13_500).arrayValue ?? []
        #expect(rows.count == 2)
        #expect(rows[0]["instance"]?.stringValue == "chat-aaaaaa")
        #expect(rows[0]["alive"]?.boolValue == false)
        #expect(rows[1]["alive"]?.boolValue == true)
        #expect(rows[1]["lastRestart"]?.intValue == 9000)
    }

    @Test func aReplyCarriesItsEventsLatencyAndCountsInTheSecond() {
        let state = ConsoleState(configuration: ConsoleConfiguration())
        state.ingest([envelope(.event, topic: "svc.echo", from: "edge-1", id: "e1", event: "echo")])
        state.ingest([envelope(.reply, topic: "edge.edge-1", from: "echo-1", re: "e1"),
                      envelope(.reply, topic: "edge.edge-1", from: "echo-1", re: "unknown")])
        let (entries, lost) = state.entries(after: 0)
        #expect(lost == 0)
        #expect(entries.count == 3)
        #expect(entries[1].elapsedMilliseconds != nil)
        #expect(entries[2].elapsedMilliseconds == nil)
        state.closeSecond(now: 5000)
        let second = state.historyJSON().arrayValue?.last
        #expect(second?["services"]?["echo"]?["events"]?.intValue == 1)
        #expect(second?["services"]?["echo"]?["p50"] != nil)
        #expect(second?["services"]?["echo"]?["failures"]?.intValue == 0)
    }

    @Test func errorRepliesAndUnansweredEventsAreFailures() {
        var configuration = ConsoleConfiguration()
        configuration.unansweredMilliseconds = 0
        let state = ConsoleState(configuration: configuration)
        state.ingest([envelope(.event, topic: "svc.chat", from: "edge-1", id: "a", event: "x"),
                      envelope(.event, topic: "svc.chat", from: "edge-1", id: "b", event: "x")])
        state.ingest([envelope(.reply, topic: "edge", from: "chat-1", re: "a", error: "INTERNAL_ERROR")])
        Thread.sleep(forTimeInterval: 0.01)
        state.closeSecond(now: 1)
        #expect(state.historyJSON().arrayValue?.last?["services"]?["chat"]?["failures"]?.intValue == 2)
    }

    @Test func aSlowReaderLosesOldLinesAndIsTold() {
        var configuration = ConsoleConfiguration()
        configuration.ringCapacity = 16
        let state = ConsoleState(configuration: configuration)
        state.ingest((0..<40).map { _ in envelope(.emit, topic: "edge", from: "chat-1") })
        let (entries, lost) = state.entries(after: 0)
        #expect(entries.count == 16)
        #expect(lost == 24)
        #expect(entries.first?.sequence == 25)
        #expect(state.entries(after: 40).entries.isEmpty)
    }

    @Test func lifeFactsFillTheSocketsLookup() {
        let state = ConsoleState(configuration: ConsoleConfiguration())
        state.ingest([
            envelope(.life, topic: "life", from: "edge-1", event: "connected", sid: "s1",
                     body: #"[{"epoch":7,"seq":1,"sid":"s1","ns":"/","user":{"id":"42"}}]"#),
            envelope(.life, topic: "life", from: "edge-1", event: "joined", sid: "s1",
                     body: #"[{"epoch":7,"seq":2,"sid":"s1","ns":"/","room":"lobby"}]"#),
            envelope(.life, topic: "life", from: "edge-1", event: "connected", sid: "s2",
                     body: #"[{"epoch":7,"seq":3,"sid":"s2","ns":"/"}]"#),
            // Not a life fact as bus-protocol.md §7 writes it (no stamp): skipped.
            envelope(.life, topic: "life", from: "edge-1", event: "connected", sid: "s3",
                     body: #"[{"sid":"s3","ns":"/"}]"#),
        ])
        #expect(state.lookupJSON(user: "42", room: nil)["sockets"]?.arrayValue?.count == 1)
        let inLobby = state.lookupJSON(user: nil, room: "lobby")["sockets"]?.arrayValue ?? []
        #expect(inLobby.map { $0["sid"]?.stringValue } == ["s1"])
        #expect(state.lookupJSON(user: nil, room: nil)["known"]?.intValue == 2)
        state.ingest([envelope(.life, topic: "life", from: "edge-1", event: "disconnected", sid: "s1",
                               body: #"[{"epoch":7,"seq":4,"sid":"s1","ns":"/","reason":"transport close","rooms":["lobby"]}]"#)])
        #expect(state.lookupJSON(user: nil, room: "lobby")["sockets"]?.arrayValue?.isEmpty == true)
        // A snapshot replaces what is known of its edge.
        state.ingest([envelope(.life, topic: "life", from: "edge-1", event: "snapshot", sid: nil,
                               body: #"[{"epoch":7,"seq":4,"sockets":[{"sid":"s9","ns":"/chat","rooms":["r"],"user":{"id":5}}]}]"#)])
        let known = state.lookupJSON(user: "5", room: "r")["sockets"]?.arrayValue ?? []
        #expect(known.map { $0["sid"]?.stringValue } == ["s9"])
        #expect(state.lookupJSON(user: nil, room: nil)["known"]?.intValue == 1)
    }
}
