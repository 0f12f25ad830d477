import Bus
import Contracts
import Foundation
import Testing
@testable import Edge

/// The numbering of an edge's life facts: one epoch, one sequence for every fact, and a snapshot
/// stamped with the last fact it holds.
@Suite(.serialized) struct LifeStreamTests {
    /// The records the edge published since the last call, decoded as a service decodes them.
    func records(_ edge: EdgeHarness) throws -> [LifeRecord] {
        try edge.bus.takePublished().map { envelope in
            try LifeRecord(header: envelope.header, body: envelope.decodeBody(as: JSON.self))
        }
    }

    @Test func everyFactTakesTheNextNumberOfTheRun() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["lobby"],"sids":["<a>"]}]"#)
        edge.receive(.emit, #"[{"op":"leave","ns":"/","rooms":["lobby"],"sids":["<a>"]}]"#)
        try a.send("41")
        edge.run()
        let published = try records(edge)
        #expect(published.map(\.fact.kind) == [.connected, .joined, .left, .disconnected])
        #expect(published.map(\.stamp.seq) == [1, 2, 3, 4])
        #expect(Set(published.map(\.stamp.epoch)) == [1_795_326_480_000])
        #expect(published.allSatisfy { $0.edge == "edge-test" })
        #expect(edge.bus.life.position == LifeStamp(epoch: 1_795_326_480_000, seq: 4), "what the hello says")
    }

    @Test func aSnapshotIsStampedWithTheLastFactItHoldsAndTakesNoNumber() async throws {
        let edge = await EdgeHarness()
        let a = try edge.client("a")
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["x"],"sids":["<a>"]}]"#)
        _ = try records(edge)
        var header = BusHeader(type: .event, from: "presence-1", id: "r1")
        header.event = "resync"
        edge.hub.receive(Envelope(topic: Topic.edge(edge.bus.instance), header: header, body: Data("[]".utf8)))
        edge.run()
        let snapshot = try #require(try records(edge).first)
        #expect(snapshot.stamp.seq == 2)
        #expect(snapshot.fact == .snapshot([LifeSocket(sid: a.sid, ns: "/", rooms: ["x"])]))
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["y"],"sids":["<a>"]}]"#)
        #expect(try records(edge).map(\.stamp.seq) == [3])
    }

    @Test func aRecordReadsBackAsItWasWritten() throws {
        let facts: [LifeFact] = [
            .connected(.init(sid: "s1", ns: "/user", user: Identity(id: "7", role: "USER"), ip: "10.0.0.7",
                             transport: "polling", auth: ["device": "ios"])),
            .disconnected(.init(sid: "s1", ns: "/", reason: "transport close", rooms: ["b", "a"])),
            .joined(.init(sid: "s1", ns: "/", user: Identity(id: "7"), room: "r")),
            .left(.init(sid: "s1", ns: "/", room: "r")),
            .snapshot([LifeSocket(sid: "s1", ns: "/", user: Identity(id: "7", name: "Ada"), rooms: ["z", "a"])]),
        ]
        for fact in facts {
            let record = LifeRecord(edge: "edge-1", stamp: LifeStamp(epoch: 5, seq: 9), fact: fact)
            let wire = try JSONCoding.decode(JSON.self, from: JSONCoding.encode(record.body))
            #expect(try LifeRecord(header: record.header(), body: wire) == record)
        }
    }

    @Test func aFactWithoutItsStampIsMalformed() {
        var header = BusHeader(type: .life, from: "edge-1")
        header.event = "joined"
        #expect(throws: LifeRecord.Malformed(member: "epoch")) {
            try LifeRecord(header: header, body: [["sid": "s1", "ns": "/", "room": "r"]])
        }
    }
}
