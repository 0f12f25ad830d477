import Contracts
import Foundation
import Testing
@testable import Edge

/// Apps (docs/edge.md, "Apps"): the namespaces of a listener's app are the app's own on the bus,
/// so routes, rooms, broadcasts and life facts of one app never reach the sockets of another.
@Suite(.serialized) struct EdgeAppsTests {
    /// Listener 0 of app `zizany`, 1 of app `chatto`, 2 of none (the unnamed app), 3 of app
    /// `telecaller` serving `/user`.
    func edge() async -> EdgeHarness {
        await EdgeHarness { configuration in
            configuration.listeners = [
                .init(port: 4000, app: "zizany"), .init(port: 3001, app: "chatto"), .init(port: 3000),
                .init(port: 8000, namespaces: ["/user": .init(auth: .none)], app: "telecaller"),
            ]
        }
    }

    @Test func aListenersAppNamesItsNamespacesOnTheBus() async throws {
        let edge = await edge()
        let a = try edge.client("a", listener: 0)
        let b = try edge.client("b", listener: 1)
        let c = try edge.client("c", listener: 2)
        #expect(edge.facts() == [
            #"life connected {"edge":"edge-test","sid":"<a>"} [{"ip":"10.0.0.7","ns":"zizany/","sid":"<a>","transport":"websocket"}]"#,
            #"life connected {"edge":"edge-test","sid":"<b>"} [{"ip":"10.0.0.7","ns":"chatto/","sid":"<b>","transport":"websocket"}]"#,
            #"life connected {"edge":"edge-test","sid":"<c>"} [{"ip":"10.0.0.7","ns":"/","sid":"<c>","transport":"websocket"}]"#,
        ])
        try a.send(#"42["message:create",{}]"#)
        try b.send(#"42["create room",{}]"#)
        try c.send(#"42["user:getRoom",{}]"#)
        #expect(edge.sentEvents().map { String($0.prefix { $0 != " " }) } == ["zizany/", "chatto/", "/"])
        try b.send(#"41"#)
        #expect(edge.facts() == [
            #"life disconnected {"edge":"edge-test","sid":"<b>"} [{"ns":"chatto/","reason":"client namespace disconnect","rooms":[],"sid":"<b>"}]"#,
        ])
    }

    @Test func broadcastsAndRoomsReachOnlyTheSocketsOfTheirApp() async throws {
        let edge = await edge()
        let a = try edge.client("a", listener: 0)
        let b = try edge.client("b", listener: 1)
        let c = try edge.client("c", listener: 2)
        edge.receive(.emit, #"[{"op":"emit","ns":"chatto/","event":"room created","args":[1],"to":{"all":true}}]"#)
        #expect(try b.received() == [#"42["room created",1]"#])
        #expect(try a.received().isEmpty && (try c.received()).isEmpty)
        edge.receive(.emit, #"[{"op":"emit","ns":"/","event":"everyone","args":[],"to":{"all":true}}]"#)
        #expect(try c.received() == [#"42["everyone"]"#])
        #expect(try a.received().isEmpty && (try b.received()).isEmpty, "the unnamed app is an app too")
        // The same room name in two apps is two rooms; a join names its socket in its app only.
        edge.receive(.emit, #"[{"op":"join","ns":"zizany/","rooms":["lobby"],"sids":["<a>"]},{"op":"join","ns":"zizany/","rooms":["lobby"],"sids":["<b>"]}]"#)
        #expect(edge.facts().count == 4, "three connected, and <a> joined")
        edge.receive(.emit, #"[{"op":"emit","ns":"chatto/","event":"m","args":[],"to":{"rooms":["lobby"]}},{"op":"emit","ns":"zizany/","event":"m","args":[2],"to":{"rooms":["lobby"]}}]"#)
        #expect(try a.received() == [#"42["m",2]"#])
        #expect(try b.received().isEmpty)
    }

    @Test func aNamespaceOfAnAppKeepsItsClientNameOnTheWire() async throws {
        let edge = await edge()
        let u = try edge.client("u", joining: "/user", listener: 3)
        #expect(edge.facts().first?.contains(#""ns":"telecaller/user""#) == true)
        try u.send(#"42/user,1["call:initiate",{}]"#)
        #expect(edge.sentEvents().first?.hasPrefix("telecaller/user call:initiate ") == true)
        try edge.reply(to: 0, #"[{"op":"ack","sid":"<u>","args":[{"success":true}]},{"op":"emit","ns":"telecaller/user","event":"call:ringing","args":[],"to":{"users":[],"sids":["<u>"]}}]"#)
        #expect(try u.received() == [#"43/user,1[{"success":true}]"#, #"42/user,["call:ringing"]"#])
        edge.receive(.emit, #"[{"op":"emit","ns":"/user","event":"elsewhere","args":[],"to":{"all":true}},{"op":"disconnect","ns":"telecaller/user","sids":["<u>"]}]"#)
        #expect(try u.received() == [#"41/user,"#])
    }

    @Test func aFailedEventIsAnsweredInItsAppsDeclaredShape() async throws {
        let edge = await edge()
        let a = try edge.client("a", listener: 0)
        edge.bus.declare(FailureShape(ns: "zizany/", event: "*", ack: [["code": "{{code}}"]]))
        edge.bus.forget(Route(ns: "zizany/", event: "nobody:serves"))
        try a.send(#"427["nobody:serves",{}]"#)
        #expect(try a.received() == [#"437[{"code":"UNKNOWN_EVENT"}]"#])
    }

    @Test func deployRunsConfigurationGivesEachContractItsOwnStrictListenerAndApp() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/edge.contracts.json")
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(contentsOf: file))
        let served = configuration.listeners.indices.flatMap { index in
            configuration.namespaces(ofListener: index).map { (configuration.busNamespace($0.key, ofListener: index), $0.value) }
        }
        #expect(Set(served.map(\.0)).count == served.count, "no bus namespace is served twice")
        let auth = Dictionary(uniqueKeysWithValues: served.map { ($0.0, $0.1.auth) })
        #expect(auth == ["zizany/": .session, "homeassistant/": .none, "audio/": .jwt, "chatto/": .optional,
                         "/user": .jwt, "/telecaller": .jwt])
        let zizany = try #require(configuration.listeners.firstIndex { $0.app == "zizany" })
        #expect(configuration.listeners[zizany].port == 4000, "the seed's port")
    }

    @Test func appNamesAreCheckedAndBusNamespacesReadBack() throws {
        let good = #"{"listeners":[{"port":4000,"app":"zizany"},{"port":3000}]}"#
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(good.utf8))
        #expect(configuration.busNamespace("/", ofListener: 0) == "zizany/")
        #expect(configuration.busNamespace("/", ofListener: 1) == "/")
        for bad in ["", "a/b", "with space", String(repeating: "x", count: 65)] {
            let text = #"{"listeners":[{"port":4000,"app":"\#(bad)"}]}"#
            #expect(throws: (any Error).self) { try JSONDecoder().decode(EdgeConfiguration.self, from: Data(text.utf8)) }
        }
        #expect(EdgeApps.clientNamespace("zizany/") == "/")
        #expect(EdgeApps.clientNamespace("telecaller/user") == "/user")
        #expect(EdgeApps.clientNamespace("/user") == "/user")
        #expect(EdgeApps.clientNamespace("engine.io") == "engine.io")
    }
}
