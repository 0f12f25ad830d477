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

    /// The rule read from the whole list, as the scanner must answer it.
    func decoded(_ body: String, sid: String? = "s1") -> String {
        let instructions = try? JSONCoding.decode([Instruction].self, from: Data(body.utf8))
        return instructions?.contains { $0.reachesBeyond(socket: sid) } == true ? "edge" : "edge.edge-1"
    }

    @Test(arguments: [
        // Arguments of every shape are skipped, brackets, quotes and escapes in strings included.
        #"[{"args":["a]\"},{[",{"x":[1,-2.5e3,true,null,{"y":"}"}]}],"op":"ack","sid":"s1"}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"sids":["s1"]},"except":{"rooms":["r"]}}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"rooms":[],"users":null,"all":false,"sids":["s1"]}}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"all":true}}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"users":["42"]}}]"#,
        #" [ { "op" : "join" , "ns" : "/" , "rooms" : [ "lobby" ] , "sids" : [ "s1" ] } ] "#,
        #"[{"ns":"/","op":"join","rooms":["lobby"],"sids":["s1","s2"]}]"#,
        #"[{"ns":"/","op":"leave","rooms":["lobby"],"users":["42"]}]"#,
        #"[{"ns":"/","op":"disconnect","sids":["s1"],"reason":"kicked"}]"#,
        #"[{"data":{"op":"emit","to":{"all":true}},"op":"accept"},{"op":"reject"}]"#,
        // What the scanner leaves to the full reading: escapes, members of other types.
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"sids":["s1"]}}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"rooms":["r"]}}]"#,
        #"[{"args":[],"event":"e","ns":"/","op":"emit","to":{"rooms":"r"}}]"#,
        #"[{"op":"fly"}]"#, #"{"op":"ack"}"#, "[", "", "[]",
        // A member written twice: the last one counts.
        #"[{"args":[],"event":"e","ns":"/","op":"ack","op":"emit","to":{"rooms":["r"]}}]"#,
    ])
    func theSkimAnswersAsTheWholeList(_ body: String) {
        #expect(edgeEvent().replyTopic(body: Data(body.utf8)) == decoded(body), "\(body)")
    }

    @Test func theReachOfTheInstructionsChoosesAsTheirBytesDo() throws {
        let ack = Instruction.ack(Ack(sid: "s1", args: []))
        for instructions: [Instruction] in [
            [], [ack], [ack, emit(Audience(sids: ["s1"]))], [emit(Audience(rooms: ["lobby"])), ack],
            [emit(Audience(sids: ["s1", "s2"]))], [.join(Membership(ns: "/", rooms: ["r"], users: ["42"]))],
            [.disconnect(Disconnect(ns: "/", sids: ["s1"]))], [emit(Audience(all: false))],
        ] {
            let reaches = instructions.contains { $0.reachesBeyond(socket: "s1") }
            #expect(edgeEvent().replyTopic(reaches: reaches) == edgeEvent().replyTopic(body: try body(instructions)),
                    "\(instructions)")
        }
    }

    @Test func theReachIsAskedOnlyForAnEdgesOwnTopic() {
        var inbox = edgeEvent()
        inbox.replyTo = "inbox.chat-1"
        var none = edgeEvent()
        none.replyTo = nil
        let asked = { (header: BusHeader) -> Bool in
            var evaluated = false
            _ = header.replyTopic(reaches: { evaluated = true; return true }())
            return evaluated
        }
        #expect(!asked(inbox) && !asked(none) && asked(edgeEvent()))
        #expect(inbox.replyTopic(reaches: true) == "inbox.chat-1" && none.replyTopic(reaches: false) == "edge")
        #expect(edgeEvent().replyTopic(reaches: true) == "edge" && edgeEvent().replyTopic(reaches: false) == "edge.edge-1")
    }
}
