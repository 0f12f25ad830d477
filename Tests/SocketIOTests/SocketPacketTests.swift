import Contracts
import EngineIO
import Testing
@testable import SocketIO

@Suite struct SocketPacketTests {
    @Test(arguments: [
        (SocketPacket.event(["hello", 1]), #"2["hello",1]"#),
        (SocketPacket.event(namespace: "/admin", ["x"]), #"2/admin,["x"]"#),
        (SocketPacket.event(["a"], ackID: 1), #"21["a"]"#),
        (SocketPacket.event(namespace: "/admin", ["a"], ackID: 12), #"2/admin,12["a"]"#),
        (SocketPacket.connect(sid: "abc"), #"0{"sid":"abc"}"#),
        (SocketPacket.connect(namespace: "/admin", sid: "abc"), #"0/admin,{"sid":"abc"}"#),
        (SocketPacket.connectError(data: ["message": "Invalid namespace"]), #"4{"message":"Invalid namespace"}"#),
        (SocketPacket.connectError(namespace: "/x", data: ["message": "Invalid namespace"]),
         #"4/x,{"message":"Invalid namespace"}"#),
        (SocketPacket.disconnect(), "1"),
        (SocketPacket.disconnect(namespace: "/admin"), "1/admin,"),
        (SocketPacket.ack([], ackID: 3), "33[]"),
        (SocketPacket.ack(namespace: "/admin", ["ok", nil], ackID: 13), #"3/admin,13["ok",null]"#),
    ])
    func encodesLikeSocketIOParser(packet: SocketPacket, text: String) {
        #expect(packet.encoded == [.text(text)])
    }

    @Test func binaryEventAndAck() {
        let event = SocketPacket.event(["bin", SocketPacket.placeholder(0)], attachments: [[1, 2]])
        #expect(event.kind == .binaryEvent)
        #expect(event.encoded == [.text(#"51-["bin",{"_placeholder":true,"num":0}]"#), .binary([1, 2])])
        let ack = SocketPacket.ack(namespace: "/a", [SocketPacket.placeholder(0), SocketPacket.placeholder(1)],
                                   ackID: 4, attachments: [[1], [2]])
        #expect(ack.encoded == [
            .text(#"62-/a,4[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#), .binary([1]), .binary([2]),
        ])
    }

    @Test(arguments: [
        ("0", SocketPacket(kind: .connect)),
        (#"0{"token":"abc"}"#, SocketPacket(kind: .connect, data: ["token": "abc"])),
        (#"0/admin,{"token":"abc"}"#, SocketPacket(kind: .connect, namespace: "/admin", data: ["token": "abc"])),
        ("0/admin", SocketPacket(kind: .connect, namespace: "/admin")),
        ("1", SocketPacket.disconnect()),
        ("1/admin,", SocketPacket.disconnect(namespace: "/admin")),
        (#"2["hello",1]"#, SocketPacket.event(["hello", 1])),
        (#"2/admin,456["x",{"a":1.5}]"#, SocketPacket.event(namespace: "/admin", ["x", ["a": 1.5]], ackID: 456)),
        (#"2[42]"#, SocketPacket.event([42])),
        (#"3/admin,7["ok"]"#, SocketPacket.ack(namespace: "/admin", ["ok"], ackID: 7)),
        (#"4"boom""#, SocketPacket.connectError(data: "boom")),
    ])
    func decodesTextPackets(text: String, packet: SocketPacket) throws {
        var decoder = SocketPacketDecoder()
        #expect(try decoder.decode(.text(text)) == packet)
    }

    @Test func decodesBinaryEventAfterItsAttachments() throws {
        var decoder = SocketPacketDecoder()
        let header = #"52-/a,3["up",{"_placeholder":true,"num":1},{"f":{"_placeholder":true,"num":0}}]"#
        #expect(try decoder.decode(.text(header)) == nil)
        #expect(try decoder.decode(.binary([1])) == nil)
        let packet = try #require(try decoder.decode(.binary([2, 3])))
        #expect(packet.kind == .binaryEvent)
        #expect(packet.namespace == "/a")
        #expect(packet.ackID == 3)
        #expect(packet.attachments == [[1], [2, 3]])
        #expect(packet.arguments[1] == SocketPacket.placeholder(1))
        #expect(try decoder.decode(.text(#"2["next"]"#)) == SocketPacket.event(["next"]))
    }

    @Test func decodesBinaryAck() throws {
        var decoder = SocketPacketDecoder()
        #expect(try decoder.decode(.text(#"61-9[{"_placeholder":true,"num":0}]"#)) == nil)
        #expect(try decoder.decode(.binary([7])) == SocketPacket(kind: .binaryAck, ackID: 9,
                                                                  data: [SocketPacket.placeholder(0)],
                                                                  attachments: [[7]]))
    }

    @Test func encodedPacketsDecodeBack() throws {
        let packets: [SocketPacket] = [
            .event(namespace: "/chat", ["msg", ["text": "hi", "n": 3, "ok": true]], ackID: 0),
            .event(["file", SocketPacket.placeholder(0)], attachments: [[0xFF, 0]]),
            .ack(["done"], ackID: 99),
        ]
        var decoder = SocketPacketDecoder()
        for packet in packets {
            var decoded: SocketPacket?
            for message in packet.encoded { decoded = try decoder.decode(message) }
            #expect(decoded == packet)
        }
    }
}
