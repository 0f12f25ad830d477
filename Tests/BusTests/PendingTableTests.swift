import Bus
import Contracts
import Foundation
import Testing

private typealias Table = PendingTable<String>

private func event(_ id: String, ts: Int64 = 0, service: String = "chat") -> Envelope {
    var header = BusHeader(type: .event, from: "edge-1", id: id, ts: ts)
    header.ns = "/"
    header.event = "send"
    return Envelope(topic: Topic.service(service), header: header, body: Data(#"["\#(id)"]"#.utf8))
}

private func table(retry: Int64 = 1000, maxAge: Int64 = 10_000, maxCount: Int = 100) -> Table {
    var configuration = Table.Configuration()
    configuration.retryIntervalMilliseconds = retry
    configuration.maxAgeMilliseconds = maxAge
    configuration.maxCount = maxCount
    return Table(configuration: configuration)
}

@Suite("PendingTable")
struct PendingTableTests {
    @Test("the default bounds")
    func defaults() {
        let configuration = Table.Configuration()
        #expect(configuration.retryIntervalMilliseconds == 1000)
        #expect(configuration.maxAgeMilliseconds == 10_000)
        #expect(configuration.maxCount == 10_000)
        #expect(Table().count == 0)
    }

    @Test("add accepts an event and records one attempt")
    func add() throws {
        var pending = table()
        #expect(pending.add(event("a"), service: "chat", token: "token-a", at: 100) == nil)
        #expect(pending.count == 1)
        let entryResolved = pending.resolve("a")
        let entry = try #require(entryResolved)
        #expect(entry.envelope == event("a"))
        #expect(entry.service == "chat")
        #expect(entry.token == "token-a")
        #expect(entry.firstSent == 100)
        #expect(entry.lastSent == 100)
        #expect(entry.attempts == 1)
    }

    @Test("past the count bound new events are refused with overloaded")
    func overloaded() {
        var pending = table(maxCount: 2)
        #expect(pending.add(event("a"), service: "chat", token: "a", at: 0) == nil)
        #expect(pending.add(event("b"), service: "chat", token: "b", at: 0) == nil)
        #expect(pending.add(event("c"), service: "chat", token: "c", at: 0) == .overloaded(limit: 2))
        #expect(pending.count == 2)
        #expect(pending.resolve("c") == nil)
        // Room again once one is answered.
        _ = pending.resolve("a")
        #expect(pending.add(event("c"), service: "chat", token: "c", at: 1) == nil)
        #expect(pending.count == 2)
    }

    @Test("a reply resolves its event once; a repeated or unknown reply resolves nothing")
    func resolveOnce() {
        var pending = table()
        _ = pending.add(event("a"), service: "chat", token: "a", at: 0)
        _ = pending.add(event("b"), service: "chat", token: "b", at: 0)
        #expect(pending.resolve("a")?.token == "a")
        #expect(pending.resolve("a") == nil)
        #expect(pending.resolve("zzz") == nil)
        #expect(pending.count == 1)
        #expect(pending.resolve("b")?.token == "b")
        #expect(pending.count == 0)
    }

    @Test("nothing happens before the retry interval")
    func tickBeforeRetry() {
        var pending = table(retry: 1000)
        _ = pending.add(event("a"), service: "chat", token: "a", at: 0)
        let result = pending.tick(at: 999)
        #expect(result.republish.isEmpty)
        #expect(result.expired.isEmpty)
        #expect(pending.count == 1)
    }

    @Test("after the retry interval the same envelope is published again, the wait doubling each time")
    func tickRepublishes() throws {
        var pending = table(retry: 1000)
        let original = event("a", ts: 7)
        _ = pending.add(original, service: "chat", token: "a", at: 0)
        let first = pending.tick(at: 1000)
        #expect(first.republish == [original])
        #expect(first.republish.first?.header.id == "a")
        #expect(first.expired.isEmpty)
        // The wait counts from the last publication and doubles: 2000 ms after the second one.
        #expect(pending.tick(at: 2999).republish.isEmpty)
        #expect(pending.tick(at: 3000).republish == [original])
        #expect(pending.tick(at: 6999).republish.isEmpty)
        #expect(pending.tick(at: 7000).republish == [original])
        let entryResolved = pending.resolve("a")
        let entry = try #require(entryResolved)
        #expect(entry.attempts == 4)
        #expect(entry.firstSent == 0)
        #expect(entry.lastSent == 7000)
    }

    @Test("events published again come out ordered by their timestamp")
    func republishOrder() {
        var pending = table(retry: 100)
        for index in (0..<20).shuffled() {
            _ = pending.add(event("e\(index)", ts: Int64(index)), service: "chat", token: "", at: 0)
        }
        let ids = pending.tick(at: 100).republish.map(\.header.id)
        #expect(ids == (0..<20).map { "e\($0)" })
    }

    @Test("past the age bound events expire, are removed, oldest first")
    func tickExpires() {
        var pending = table(retry: 1000, maxAge: 5000)
        for index in (0..<10).shuffled() {
            _ = pending.add(event("old\(index)"), service: "chat", token: "old\(index)", at: Int64(index * 10))
        }
        _ = pending.add(event("young"), service: "chat", token: "young", at: 3000)
        let result = pending.tick(at: 5090)
        #expect(result.expired.map(\.token) == (0..<10).map { "old\($0)" })
        #expect(result.expired.map(\.firstSent) == (0..<10).map { Int64($0 * 10) })
        // The young event is not expired; its retry interval passed, so it goes out again.
        #expect(result.republish.map(\.header.id) == ["young"])
        #expect(pending.count == 1)
        #expect(pending.resolve("old0") == nil)
        #expect(pending.resolve("young")?.attempts == 2)
    }

    @Test("the age bound applies exactly at maxAge")
    func expiryBoundary() {
        var pending = table(retry: 100_000, maxAge: 500)
        _ = pending.add(event("a"), service: "chat", token: "a", at: 0)
        #expect(pending.tick(at: 499).expired.isEmpty)
        let expired = pending.tick(at: 500).expired
        #expect(expired.map(\.token) == ["a"])
        #expect(expired.first?.attempts == 1)
        #expect(pending.count == 0)
        #expect(pending.tick(at: 10_000).expired.isEmpty)
    }

    @Test("a restarted service gets only its own events again")
    func serviceRestarted() throws {
        var pending = table(retry: 1000)
        _ = pending.add(event("c1", ts: 1, service: "chat"), service: "chat", token: "c1", at: 0)
        _ = pending.add(event("c2", ts: 2, service: "chat"), service: "chat", token: "c2", at: 0)
        _ = pending.add(event("b1", ts: 3, service: "billing"), service: "billing", token: "b1", at: 0)
        let again = pending.serviceRestarted("chat", at: 400)
        #expect(again.map(\.header.id) == ["c1", "c2"])
        #expect(pending.serviceRestarted("nobody", at: 400).isEmpty)
        // The restart counts as a publication (the second): at 1000 only billing is due, and
        // chat's events wait twice the interval from the restart.
        #expect(pending.tick(at: 1000).republish.map(\.header.id) == ["b1"])
        #expect(pending.tick(at: 2399).republish.isEmpty)
        #expect(Set(pending.tick(at: 2400).republish.map(\.header.id)) == ["c1", "c2"])
        let c1Resolved = pending.resolve("c1")
        let c1 = try #require(c1Resolved)
        #expect(c1.attempts == 3)
        #expect(c1.firstSent == 0)
        #expect(pending.count == 2)
    }

    @Test("a restarted service's events come out oldest first, so one socket's events keep their order")
    func serviceRestartedOrder() {
        var pending = table()
        for index in (0..<30).shuffled() {
            _ = pending.add(event("e\(index)", ts: Int64(100 + index)), service: "chat", token: "", at: 0)
        }
        #expect(pending.serviceRestarted("chat", at: 1).map(\.header.id) == (0..<30).map { "e\($0)" })
    }

    @Test("an id that is already waiting is refused and the waiting entry kept")
    func duplicateID() throws {
        var pending = table()
        #expect(pending.add(event("a"), service: "chat", token: "first", at: 0) == nil)
        #expect(pending.add(event("a"), service: "chat", token: "second", at: 5) == .duplicateID("a"))
        #expect(pending.count == 1)
        let resolved = pending.resolve("a")
        let entry = try #require(resolved)
        #expect(entry.token == "first")
        #expect(entry.firstSent == 0)
        // Once answered, the id may be used again.
        #expect(pending.add(event("a"), service: "chat", token: "third", at: 6) == nil)
    }

    @Test("removeAll returns every entry and empties the table")
    func removeAll() {
        var pending = table()
        _ = pending.add(event("a"), service: "chat", token: "a", at: 0)
        _ = pending.add(event("b"), service: "billing", token: "b", at: 0)
        let all = pending.removeAll()
        #expect(Set(all.map(\.token)) == ["a", "b"])
        #expect(pending.count == 0)
        #expect(pending.tick(at: 1_000_000).expired.isEmpty)
    }

    @Test("failure codes")
    func failureCodes() {
        #expect(DeliveryFailure.unknownEvent(Route(ns: "/", event: "x")).code == "UNKNOWN_EVENT")
        #expect(DeliveryFailure.overloaded(limit: 1).code == "OVERLOADED")
        #expect(DeliveryFailure.timedOut(afterMilliseconds: 1, attempts: 1).code == "SERVICE_UNAVAILABLE")
        #expect(DeliveryFailure.closed.code == "SHUTTING_DOWN")
        #expect(DeliveryFailure.unknownEvent(Route(ns: "/", event: "x")).description == "no service handles / x")
    }
}
