import Contracts
import Foundation
import Testing

private func text<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try JSONCoding.encode(value), as: UTF8.self)
}

@Suite("BusHeader, Identity, Hello")
struct BusHeaderTests {
    @Test("a minimal header encodes to exactly its required fields")
    func minimalHeader() throws {
        let header = BusHeader(type: .event, from: "edge-1", id: "abc", ts: 1_700_000_000_123)
        #expect(header.v == 1)
        #expect(BusHeader.protocolVersion == 1)
        #expect(try text(header) == #"{"from":"edge-1","id":"abc","ts":1700000000123,"type":"event","v":1}"#)
        let reply = BusHeader(type: .reply, from: "chat-1", id: "r1", re: "abc", ts: 5)
        #expect(try text(reply) == #"{"from":"chat-1","id":"r1","re":"abc","ts":5,"type":"reply","v":1}"#)
    }

    @Test("a header with every field round trips")
    func fullHeaderRoundTrip() throws {
        var header = BusHeader(type: .event, from: "edge-7f", id: "0123456789abcdef01234567", ts: 42)
        header.re = "parent"
        header.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        header.ns = "/user"
        header.event = "call:initiate"
        header.sid = "sid-1"
        header.edge = "edge-7f"
        header.user = Identity(id: "42", role: "TELECALLER", name: "Zoë")
        header.ack = true
        header.ip = "10.0.0.1"
        header.replyTo = "inbox.switchboard-1"
        header.error = "INTERNAL_ERROR"
        let decoded = try JSONCoding.decode(BusHeader.self, from: JSONCoding.encode(header))
        #expect(decoded == header)
        let wire = try text(header)
        #expect(wire.contains(#""replyTo":"inbox.switchboard-1""#))
        #expect(wire.contains(#""user":{"id":"42","name":"Zoë","role":"TELECALLER"}"#))
    }

    @Test("every message type round trips by its raw name", arguments: MessageType.allCases)
    func messageTypes(type: MessageType) throws {
        let header = BusHeader(type: type, from: "x", id: "i", ts: 0)
        let wire = try text(header)
        #expect(wire.contains(#""type":"\#(type.rawValue)""#))
        #expect(try JSONCoding.decode(BusHeader.self, from: Data(wire.utf8)).type == type)
    }

    @Test("a header decodes from text written by another implementation")
    func decodeForeignHeader() throws {
        let wire = #"{"v":1,"id":"m1","type":"event","from":"edge-a","ts":10,"ns":"/","event":"send","sid":"s9","ack":false,"user":{"id":7}}"#
        let header = try JSONCoding.decode(BusHeader.self, from: Data(wire.utf8))
        #expect(header.id == "m1")
        #expect(header.type == .event)
        #expect(header.ack == false)
        #expect(header.user == Identity(id: "7"))
        #expect(header.re == nil)
        #expect(header.replyTo == nil)
    }

    @Test("a header with an unknown type or without required fields does not decode")
    func badHeaders() {
        #expect(throws: DecodingError.self) {
            try JSONCoding.decode(BusHeader.self, from: Data(#"{"v":1,"id":"m","type":"shout","from":"a","ts":1}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONCoding.decode(BusHeader.self, from: Data(#"{"v":1,"id":"m","type":"event","ts":1}"#.utf8))
        }
    }

    @Test("an identity with a numeric id decodes with the id as decimal text")
    func numericIdentity() throws {
        let identity = try JSONCoding.decode(Identity.self, from: Data(#"{"id":42,"role":"USER"}"#.utf8))
        #expect(identity == Identity(id: "42", role: "USER"))
        let negative = try JSONCoding.decode(Identity.self, from: Data(#"{"id":-5}"#.utf8))
        #expect(negative.id == "-5")
        let text = try JSONCoding.decode(Identity.self, from: Data(#"{"id":"u-1","name":"Ann"}"#.utf8))
        #expect(text == Identity(id: "u-1", role: nil, name: "Ann"))
        // Encoding always writes a string.
        #expect(try BusHeaderTests.encoded(identity) == #"{"id":"42","role":"USER"}"#)
    }

    @Test("an identity without an id or with a non-scalar id does not decode")
    func badIdentity() {
        #expect(throws: DecodingError.self) { try JSONCoding.decode(Identity.self, from: Data(#"{"role":"USER"}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONCoding.decode(Identity.self, from: Data(#"{"id":[1]}"#.utf8)) }
    }

    @Test("hello round trips and has a stable text")
    func helloRoundTrip() throws {
        let hello = Hello(service: "chat", instance: "chat-4f2a9c", started: 1_700_000_000_000, ready: true,
                          handles: [Route(ns: "/", event: "send"), Route(ns: "/user", event: "typing")],
                          life: [.connected, .disconnected], interval: 1000)
        let wire = try text(hello)
        #expect(wire == #"{"handles":[{"event":"send","ns":"/"},{"event":"typing","ns":"/user"}],"instance":"chat-4f2a9c","interval":1000,"life":["connected","disconnected"],"ready":true,"service":"chat","started":1700000000000}"#)
        #expect(try JSONCoding.decode(Hello.self, from: Data(wire.utf8)) == hello)
        let probe = Hello(service: "edge", instance: "edge-1", started: 0, ready: false, handles: [], life: [], interval: 200)
        #expect(try JSONCoding.decode(Hello.self, from: JSONCoding.encode(probe)) == probe)
    }

    @Test("topics")
    func topics() {
        #expect(Topic.edge == "edge")
        #expect(Topic.life == "life")
        #expect(Topic.hello == "hello")
        #expect(Topic.service("chat") == "svc.chat")
        #expect(Topic.edge("edge-1") == "edge.edge-1")
        #expect(Topic.inbox("switchboard-9") == "inbox.switchboard-9")
        #expect(Route(ns: "/user", event: "call:initiate").description == "/user call:initiate")
        #expect(LifeFactKind.allCases.map(\.rawValue) == ["connected", "disconnected", "joined", "left", "snapshot"])
    }

    @Test("message ids are 24 lowercase hex digits, unique, led by the milliseconds; suffixes are 6")
    func messageIDs() {
        let hex = Set("0123456789abcdef")
        var seen = Set<String>()
        for _ in 0..<2000 {
            let id = MessageID.make()
            #expect(id.count == 24)
            #expect(id.allSatisfy { hex.contains($0) })
            seen.insert(id)
        }
        #expect(seen.count == 2000)
        // The first 11 digits are the milliseconds of the clock: an id made later sorts after.
        let before = Clock.millisecondsSinceEpoch()
        let id = MessageID.make()
        let after = Clock.millisecondsSinceEpoch()
        let stamped = Int64(id.prefix(11), radix: 16) ?? -1
        #expect(before <= stamped && stamped <= after)
        Thread.sleep(forTimeInterval: 0.002)
        #expect(MessageID.make() > id)
        let suffix = MessageID.shortSuffix()
        #expect(suffix.count == 6)
        #expect(suffix.allSatisfy { hex.contains($0) })
    }

    @Test("trace contexts are W3C version 00, sampled, with unique non-zero trace and span ids")
    func traceContexts() {
        let hex = Set("0123456789abcdef")
        var traces = Set<String>()
        for _ in 0..<2000 {
            let parts = MessageID.traceparent().split(separator: "-", omittingEmptySubsequences: false)
            #expect(parts.count == 4)
            #expect(parts[0] == "00" && parts[3] == "01")
            #expect(parts[1].count == 32 && parts[2].count == 16)
            #expect(parts[1].allSatisfy { hex.contains($0) } && parts[2].allSatisfy { hex.contains($0) })
            #expect(parts[1] != String(repeating: "0", count: 32) && parts[2] != String(repeating: "0", count: 16))
            traces.insert(String(parts[1]))
        }
        #expect(traces.count == 2000)
    }

    @Test("the clock is in milliseconds since the epoch")
    func clock() {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let now = Clock.millisecondsSinceEpoch()
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(now >= before - 1 && now <= after + 1)
        let header = BusHeader(type: .hello, from: "x")
        #expect(header.ts >= before - 1)
        #expect(header.id.count == 24)
    }

    static func encoded<T: Encodable>(_ value: T) throws -> String { try text(value) }
}
