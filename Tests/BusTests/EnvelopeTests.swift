import Bus
import Contracts
import Foundation
import Testing

/// The error `Envelope.decode` throws for `frames`, or `nil` when it decodes.
private func decodeError(_ frames: [Data]) -> EnvelopeError? {
    do {
        _ = try Envelope.decode(frames)
        return nil
    } catch {
        return error
    }
}

private func isBadHeader(_ error: EnvelopeError?) -> Bool {
    if case .badHeader = error { return true }
    return false
}

private func isBadBody(_ error: EnvelopeError?) -> Bool {
    if case .badBody = error { return true }
    return false
}

private let goodHeader = Data(#"{"from":"a","id":"m1","ts":1,"type":"event","v":1}"#.utf8)

@Suite("Envelope")
struct EnvelopeTests {
    static func sample(attachments: [Data] = []) -> Envelope {
        var header = BusHeader(type: .event, from: "edge-1", id: "0123456789abcdef01234567", ts: 1_700_000_000_000)
        header.ns = "/"
        header.event = "upload"
        header.sid = "s1"
        header.user = Identity(id: "42", role: "USER")
        header.ack = true
        return Envelope(topic: "svc.files", header: header,
                        body: Data(#"["name",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#.utf8),
                        attachments: attachments)
    }

    @Test("encode then decode is the identity, with two binary attachments")
    func roundTripWithAttachments() throws {
        let first = Data((0...255).map { UInt8($0) })
        let second = Data((0...255).reversed().map { UInt8($0) })
        let envelope = Self.sample(attachments: [first, second])
        let frames = envelope.encode()
        #expect(frames.count == 5)
        #expect(frames[0] == Data("svc.files".utf8))
        #expect(frames[2] == envelope.body)
        #expect(frames[3] == first)
        #expect(frames[4] == second)
        let decoded = try Envelope.decode(frames)
        #expect(decoded == envelope)
        #expect(decoded.attachments[0].count == 256)
        #expect(decoded.attachments[0].first == 0x00 && decoded.attachments[0].last == 0xFF)
        #expect(decoded.attachments[1].first == 0xFF && decoded.attachments[1].last == 0x00)
        // And again: encoding the decoded message gives the same frames.
        #expect(decoded.encode() == frames)
    }

    @Test("an envelope without attachments has three frames and round trips")
    func roundTripWithoutAttachments() throws {
        let envelope = Self.sample()
        #expect(envelope.encode().count == 3)
        #expect(try Envelope.decode(envelope.encode()) == envelope)
        // Empty attachments are kept as frames too.
        let withEmpty = Self.sample(attachments: [Data(), Data([0])])
        #expect(try Envelope.decode(withEmpty.encode()) == withEmpty)
    }

    @Test("the header frame is compact sorted JSON")
    func headerFrame() {
        let header = BusHeader(type: .reply, from: "chat-1", id: "r", re: "m1", ts: 9)
        let envelope = Envelope(topic: "edge", header: header, body: Data("[]".utf8))
        #expect(String(decoding: envelope.encode()[1], as: UTF8.self)
            == #"{"from":"chat-1","id":"r","re":"m1","ts":9,"type":"reply","v":1}"#)
    }

    @Test("fewer than three frames is missingFrames with the count", arguments: [0, 1, 2])
    func missingFrames(count: Int) {
        let frames = Array([Data("svc.x".utf8), goodHeader, Data("[]".utf8)].prefix(count))
        #expect(decodeError(frames) == .missingFrames(count: count))
    }

    @Test("an empty or non-UTF-8 topic is badTopic")
    func badTopic() {
        #expect(decodeError([Data(), goodHeader, Data("[]".utf8)]) == .badTopic)
        #expect(decodeError([Data([0xFF, 0xFE, 0xC3]), goodHeader, Data("[]".utf8)]) == .badTopic)
    }

    @Test("a header that is not JSON is badHeader")
    func headerNotJSON() {
        #expect(isBadHeader(decodeError([Data("t".utf8), Data("not json".utf8), Data("[]".utf8)])))
        #expect(isBadHeader(decodeError([Data("t".utf8), Data(), Data("[]".utf8)])))
        #expect(isBadHeader(decodeError([Data("t".utf8), Data("[1,2]".utf8), Data("[]".utf8)])))
    }

    @Test("a header missing required fields is badHeader")
    func headerMissingFields() {
        let missingID = Data(#"{"from":"a","ts":1,"type":"event","v":1}"#.utf8)
        let missingVersion = Data(#"{"from":"a","id":"m","ts":1,"type":"event"}"#.utf8)
        let unknownType = Data(#"{"from":"a","id":"m","ts":1,"type":"shout","v":1}"#.utf8)
        for header in [missingID, missingVersion, unknownType] {
            #expect(isBadHeader(decodeError([Data("t".utf8), header, Data("[]".utf8)])))
        }
    }

    @Test("a header with v = 2 is unsupportedVersion(2), whatever its other fields")
    func unsupportedVersion() {
        let complete = Data(#"{"from":"a","id":"m","ts":1,"type":"event","v":2}"#.utf8)
        let different = Data(#"{"v":2,"kind":"event","sender":"a","frames":[1,2,3]}"#.utf8)
        let unknownType = Data(#"{"from":"a","id":"m","ts":1,"type":"telepathy","v":2}"#.utf8)
        let versionOnly = Data(#"{"v":2}"#.utf8)
        for header in [complete, different, unknownType, versionOnly] {
            #expect(decodeError([Data("t".utf8), header, Data("[]".utf8)]) == .unsupportedVersion(2))
        }
        // Even with a body that is not JSON, the version is what is reported.
        #expect(decodeError([Data("t".utf8), complete, Data("{{".utf8)]) == .unsupportedVersion(2))
        #expect(decodeError([Data("t".utf8), Data(#"{"v":0}"#.utf8), Data("[]".utf8)]) == .unsupportedVersion(0))
    }

    @Test("a body that is not JSON is read once, by decodeBody, as badBody")
    func bodyNotJSON() throws {
        for body in [Data("{not json".utf8), Data(), Data([0xFF, 0x00])] {
            let envelope = try Envelope.decode([Data("t".utf8), goodHeader, body])
            #expect(envelope.body == body)
            #expect(throws: EnvelopeError.self) { try envelope.decodeBody(as: [JSON].self) }
            do {
                _ = try envelope.decodeBody(as: JSON.self)
                Issue.record("a body that is not JSON decoded")
            } catch {
                #expect(isBadBody(error))
            }
        }
    }

    @Test("any JSON body is accepted, fragments included")
    func fragmentsAccepted() throws {
        for body in [#""text""#, "42", "null", #"{"a":1}"#, "[]"] {
            let envelope = try Envelope.decode([Data("t".utf8), goodHeader, Data(body.utf8)])
            #expect(envelope.body == Data(body.utf8))
            #expect(envelope.topic == "t")
            #expect(envelope.header.id == "m1")
        }
    }

    @Test("decodeBody gives the typed body, or badBody for the wrong type")
    func decodeBody() throws {
        let envelope = Self.sample()
        let args = try envelope.decodeBody(as: [JSON].self)
        #expect(args.count == 3)
        #expect(args[0] == .string("name"))
        #expect(args[1]["num"] == .int(0))
        do {
            _ = try envelope.decodeBody(as: Hello.self)
            Issue.record("an argument list decoded as a Hello")
        } catch {
            #expect(isBadBody(error))
        }
        do {
            _ = try envelope.decodeBody(as: [String].self)
            Issue.record("mixed arguments decoded as [String]")
        } catch {
            #expect(isBadBody(error))
        }
    }

    @Test("the encoding initializer writes a compact sorted body")
    func encodingInitializer() throws {
        let header = BusHeader(type: .reply, from: "x", id: "r", ts: 0)
        let instructions: [Instruction] = [.ack(Ack(sid: "s", args: [["b": 1, "a": 2]]))]
        let envelope = try Envelope(topic: "edge", header: header, encoding: instructions, attachments: [Data([1])])
        #expect(String(decoding: envelope.body, as: UTF8.self) == #"[{"args":[{"a":2,"b":1}],"op":"ack","sid":"s"}]"#)
        #expect(envelope.attachments == [Data([1])])
        #expect(try envelope.decodeBody(as: [Instruction].self) == instructions)
    }

    @Test("errors describe themselves")
    func descriptions() {
        #expect(EnvelopeError.missingFrames(count: 2).description.contains("got 2"))
        #expect(EnvelopeError.unsupportedVersion(2).description.contains("2"))
        #expect(EnvelopeError.badTopic.description.contains("topic"))
    }
}
