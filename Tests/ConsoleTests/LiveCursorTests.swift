import Bus
@testable import Console
import Contracts
import Foundation
import SwitchboardKit
import Testing

/// A page's cursor: at most `limit` lines a push, the rest dropped and counted, messages the ring
/// overwrote counted too, a filter applied, and the reply to a shown event let through.
@Suite struct LiveCursorTests {
    private func event(_ id: String, name: String) -> Envelope {
        var header = BusHeader(type: .event, from: "edge-1", id: id)
        header.event = name
        return Envelope(topic: "svc.echo", header: header, body: Data("[]".utf8))
    }

    private func reply(to id: String) -> Envelope {
        Envelope(topic: "edge.edge-1", header: BusHeader(type: .reply, from: "echo-1", re: id), body: Data("[]".utf8))
    }

    @Test func aPushTakesAtMostItsLimitAndCountsTheRest() {
        var configuration = ConsoleConfiguration()
        configuration.ringCapacity = 64
        let state = ConsoleState(configuration: configuration)
        var cursor = LiveCursor(filter: TraceFilter(), limit: 10, state: state, backlog: 0)
        state.ingest((0..<200).map { event("e\($0)", name: "echo") })
        let lines = cursor.next(from: state) ?? []
        #expect(lines.count == 10)
        #expect(cursor.dropped == 190)  // 136 overwritten before the read, 54 over the limit
        #expect(cursor.next(from: state) == nil)
        state.ingest([event("late", name: "echo")])
        #expect(cursor.next(from: state)?.count == 1)
        #expect(cursor.dropped == 190)
    }

    @Test func theFilterKeepsItsEventsAndTheirReplies() {
        let state = ConsoleState(configuration: ConsoleConfiguration())
        var cursor = LiveCursor(filter: TraceFilter(event: "wanted"), limit: 60, state: state, backlog: 0)
        state.ingest([event("a", name: "wanted"), event("b", name: "other"), reply(to: "a"), reply(to: "b")])
        let lines = cursor.next(from: state) ?? []
        #expect(lines.count == 2)
        #expect(lines[0]["id"]?.stringValue == "a")
        #expect(lines[1]["type"]?.stringValue == "reply" && lines[1]["re"]?.stringValue == "a")
        #expect(lines[1]["ms"] != nil)
    }

    @Test func aNewPageStartsWithTheBacklog() {
        let state = ConsoleState(configuration: ConsoleConfiguration())
        state.ingest((0..<30).map { event("e\($0)", name: "echo") })
        var cursor = LiveCursor(filter: TraceFilter(), limit: 60, state: state, backlog: 5)
        #expect(cursor.next(from: state)?.first?["id"]?.stringValue == "e25")
    }
}
