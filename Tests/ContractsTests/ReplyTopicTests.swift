import Contracts
import Foundation
import Testing

/// Where a reply goes (bus protocol §12): to the asking edge alone unless it holds something
/// other edges must carry out.
@Suite struct ReplyTopicTests {
    /// An event of socket `s1` on edge `edge-1`, whose reply is asked on `edge.edge-1`.
    func edgeEvent() -> BusHeader {
        var header = BusHeader(type: .event, from: "edge-1")
        header.sid = "s1"
        header.edge = "edge-1"
        header.replyTo = Topic.edge("edge-1")
        return header
    }

    func body(_ instructions: [Instruction]) throws -> Data { try JSONCoding.encode(instructions) }

    func emit(_ to: Audience) -> Instruction { .emit(Emit(ns: "/", event: "e", args: [], to: to)) }

    @Test func acksDecisionsAndTheAskingSocketStayWithTheAskingEdge() throws {
        let ack = Instruction.ack(Ack(sid: "s1", args: ["emit", "join"]))
        for instructions: [Instruction] in [
            [], [ack], [.accept(Decision(data: ["op": "emit"]))], [.reject(Decision())],
            [ack, emit(Audience(sids: ["s1"]))],
            [.join(Membership(ns: "/", rooms: ["lobby"], sids: ["s1"])), ack],
            [.leave(Membership(ns: "/", rooms: ["lobby"], sids: ["s1"]))],
            [.disconnect(Disconnect(ns: "/", sids: ["s1"], reason: "kicked"))],
        ] {
            #expect(edgeEvent().replyTopic(body: try body(instructions)) == "edge.edge-1", "\(instructions)")
        }
    }

    @Test func roomsUsersEveryoneAndOtherSocketsGoToEveryEdge() throws {
        let ack = Instruction.ack(Ack(sid: "s1", args: [["sent": true]]))
        for instructions: [Instruction] in [
            [emit(Audience(rooms: ["lobby"])), ack], [ack, emit(Audience(users: ["42"]))], [emit(Audience(all: true))],
            [emit(Audience(sids: ["s1", "s2"]))], [.join(Membership(ns: "/", rooms: ["r"], users: ["42"]))],
            [.leave(Membership(ns: "/", rooms: ["r"], sids: ["s2"]))], [.disconnect(Disconnect(ns: "/", users: ["42"]))],
        ] {
            #expect(edgeEvent().replyTopic(body: try body(instructions)) == "edge", "\(instructions)")
        }
    }

    @Test func otherPublishersGetTheirReplyToAndNoneMeansEdge() throws {
        let room = try body([emit(Audience(rooms: ["lobby"]))])
        var inbox = edgeEvent()
        inbox.replyTo = "inbox.chat-1"
        #expect(inbox.replyTopic(body: room) == "inbox.chat-1", "a request's reply goes to its asker, rooms or not")
        var legacy = edgeEvent()
        legacy.replyTo = nil
        #expect(legacy.replyTopic(body: try body([.ack(Ack(sid: "s1", args: []))])) == "edge")
        var foreign = edgeEvent()
        foreign.replyTo = Topic.edge("edge-2")
        #expect(foreign.replyTopic(body: room) == "edge.edge-2", "only an edge's own topic is re-addressed")
    }

    @Test func onlyBodiesNamingASocketOpAreRead() throws {
        #expect(!Instruction.mayReachSockets(try body([.ack(Ack(sid: "s1", args: [1]))])))
        #expect(Instruction.mayReachSockets(try body([emit(Audience(sids: ["s1"]))])))
        #expect(Instruction.mayReachSockets(Data(#"[{"op" : "join"}]"#.utf8)), "whatever the spacing")
        // A body that is not a list of instructions is nobody's to carry out: it stays with the asker.
        #expect(edgeEvent().replyTopic(body: Data(#"[{"op":"emit"}]"#.utf8)) == "edge.edge-1")
    }
}
