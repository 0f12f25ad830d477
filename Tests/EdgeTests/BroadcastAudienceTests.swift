import Testing
@testable import Edge

/// A broadcast's connections are kept between broadcasts (`EdgeLoop+Audiences`): they follow
/// every join, leave, connect and disconnect, and the sockets an emit leaves out.
@Suite(.serialized) struct BroadcastAudienceTests {
    /// What each client got since the last look.
    private func got(_ clients: [TestClient]) throws -> [String: [String]] {
        var frames: [String: [String]] = [:]
        for client in clients { frames[client.name] = try client.received() }
        return frames
    }

    private func toLobby(_ edge: EdgeHarness, _ value: Int, except: String = "") {
        let exclusion = except.isEmpty ? "" : #","except":{"sids":["<\#(except)>"]}"#
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"msg","args":[\#(value)],"to":{"rooms":["lobby"]}\#(exclusion)}]"#)
    }

    @Test func keptConnectionsFollowTheRoomsMembership() async throws {
        let edge = await EdgeHarness()
        let (a, b, c) = try (edge.client("a"), edge.client("b"), edge.client("c"))
        let all = [a, b, c]
        _ = try got(all)
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["lobby"],"sids":["<a>","<b>"]}]"#)
        toLobby(edge, 1)
        #expect(try got(all) == ["a": [#"42["msg",1]"#], "b": [#"42["msg",1]"#], "c": []])
        edge.receive(.emit, #"[{"op":"join","ns":"/","rooms":["lobby"],"sids":["<c>"]}]"#)
        toLobby(edge, 2)
        #expect(try got(all) == ["a": [#"42["msg",2]"#], "b": [#"42["msg",2]"#], "c": [#"42["msg",2]"#]])
        edge.receive(.emit, #"[{"op":"leave","ns":"/","rooms":["lobby"],"sids":["<a>"]}]"#)
        toLobby(edge, 3)
        #expect(try got(all) == ["a": [], "b": [#"42["msg",3]"#], "c": [#"42["msg",3]"#]])
        toLobby(edge, 4, except: "b")
        #expect(try got(all) == ["a": [], "b": [], "c": [#"42["msg",4]"#]])
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"all","args":[5],"to":{"all":true}}]"#)
        #expect(try got(all) == ["a": [#"42["all",5]"#], "b": [#"42["all",5]"#], "c": [#"42["all",5]"#]])
        edge.receive(.emit, #"[{"op":"disconnect","ns":"/","sids":["<c>"]}]"#)
        _ = try got(all)
        toLobby(edge, 6)
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"all","args":[7],"to":{"all":true}}]"#)
        #expect(try got(all) == ["a": [#"42["all",7]"#], "b": [#"42["msg",6]"#, #"42["all",7]"#], "c": []])
        let d = try edge.client("d")
        _ = try d.received()
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"all","args":[8],"to":{"all":true}}]"#)
        #expect(try got([a, b, c, d]) == ["a": [#"42["all",8]"#], "b": [#"42["all",8]"#], "c": [], "d": [#"42["all",8]"#]])
    }
}
