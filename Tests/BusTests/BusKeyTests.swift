@testable import Bus
import Contracts
import Foundation
import Testing

/// A fresh key folder under the temporary directory, with the standard keys and `extra` members.
func makeKeyFolder(_ extra: [(name: String, role: BusRole)] = []) throws -> BusKeyFolder {
    let folder = BusKeyFolder(path: NSTemporaryDirectory() + "bus-keys-\(UUID().uuidString)")
    try folder.ensure(BusKeyFolder.standardMembers + extra)
    return folder
}

@Suite("Bus keys")
struct BusKeyTests {
    @Test("a generated pair validates, and its description hides the secret")
    func keyPair() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.utf8.count == 40 && pair.secretKey.utf8.count == 40)
        #expect(try CurveKeyPair(publicKey: pair.publicKey, secretKey: pair.secretKey) == pair)
        #expect(!pair.description.contains(pair.secretKey))
        let other = try CurveKeyPair.generate()
        #expect(throws: BusKeyError.self) { try CurveKeyPair(publicKey: other.publicKey, secretKey: pair.secretKey) }
        #expect(throws: BusKeyError.self) { try CurveKeyPair(publicKey: "short", secretKey: pair.secretKey) }
    }

    @Test("the roles file: keys may hold #, comments and bad lines are skipped and reported")
    func roles() throws {
        var key = try CurveKeyPair.generate().publicKey
        while !key.contains("#") { key = try CurveKeyPair.generate().publicKey }
        let plain = try CurveKeyPair.generate().publicKey
        let text = """
            # a comment
            \(key) service:chat  # chat
            \(plain) edge
            \(plain) wizard
            not-a-key operator
            \(plain) operator extra words

            """
        let roles = BusRoles(text: text)
        #expect(roles.roles == [key: .service("chat"), plain: .edge])
        #expect(roles.problems.count == 3)
        #expect(BusRole("service:") == nil && BusRole("service:a b") == nil && BusRole("observer") == .observer)
    }

    @Test("the folder is 0700, key files 0600; ensure keeps existing keys; rotate replaces one")
    func folder() throws {
        let folder = try makeKeyFolder([("attacker", .service("chat"))])
        let manager = FileManager.default
        #expect(try manager.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int == 0o700)
        for name in try manager.contentsOfDirectory(atPath: folder.path) {
            #expect(try manager.attributesOfItem(atPath: "\(folder.path)/\(name)")[.posixPermissions] as? Int == 0o600)
        }
        let before = try BusKeyFile.read(path: folder.keyPath("chat"))
        #expect(try folder.ensure(BusKeyFolder.standardMembers).isEmpty)
        #expect(try BusKeyFile.read(path: folder.keyPath("chat")) == before)
        let server = try folder.loadServer()
        #expect(before.serverKey == server.keys.publicKey)
        #expect(server.roles.roles[before.keys.publicKey] == .service("chat"))
        #expect(server.roles.roles.count == BusKeyFolder.standardMembers.count + 1)

        try folder.rotate("chat")
        let after = try BusKeyFile.read(path: folder.keyPath("chat"))
        let rotated = try folder.loadServer().roles
        #expect(after.keys != before.keys)
        #expect(rotated.roles[before.keys.publicKey] == nil && rotated.roles[after.keys.publicKey] == .service("chat"))
        #expect(rotated.problems.isEmpty)
        #expect(throws: BusKeyError.self) { try folder.ensure([("../x", .edge)]) }
    }

    @Test("the environment: explicit keys, a key file, the folder's file by name, else plain")
    func environment() throws {
        let folder = try makeKeyFolder()
        let chat = try BusKeyFile.read(path: folder.keyPath("chat"))
        let fromFile = try BusKeySource.environment().resolve(["BUS_KEY": folder.keyPath("chat")])
        #expect(fromFile == .client(keys: chat.keys, serverKey: chat.serverKey!))
        let byName = try BusKeySource.environment(name: "chat").resolve(["BUS_KEYS": folder.path])
        #expect(byName == fromFile)
        let explicit = try BusKeySource.environment().resolve([
            "BUS_PUBLIC_KEY": chat.keys.publicKey, "BUS_SECRET_KEY": chat.keys.secretKey,
            "BUS_SERVER_KEY": chat.serverKey!,
        ])
        #expect(explicit == fromFile)
        #expect(try BusKeySource.environment(name: "nobody").resolve(["BUS_KEYS": folder.path]) == .plain)
        #expect(throws: BusKeyError.self) { try BusKeySource.environment().resolve(["BUS_SECRET_KEY": "x"]) }
        #expect(throws: BusKeyError.self) { try BusKeySource.file(folder.serverKeyPath).resolve([:]) }
    }
}

@Suite("Bus with CURVE", .serialized)
struct BusCurveTests {
    /// A bus on ephemeral ports whose key folder is `folder`, running until the test stops it.
    static func startBus(_ folder: BusKeyFolder) throws -> BusProxy {
        var configuration = BusProxy.Configuration()
        configuration.frontend = "tcp://127.0.0.1:*"
        configuration.backend = "tcp://127.0.0.1:*"
        configuration.keyFolder = folder.path
        let proxy = try BusProxy(configuration: configuration, logger: quietLogger)
        Task { await proxy.run() }
        return proxy
    }

    static func connect(_ proxy: BusProxy, keys: BusKeySource) throws -> BusConnection {
        var configuration = BusConnection.Configuration()
        configuration.publishEndpoint = proxy.boundEndpoints.frontend
        configuration.subscribeEndpoint = proxy.boundEndpoints.backend
        configuration.keys = keys
        return try BusConnection(configuration: configuration, logger: quietLogger)
    }

    @Test("known keys talk through the bus within their roles; an unknown key and no key hear nothing; refusals are counted")
    func knownAndUnknown() async throws {
        let folder = try makeKeyFolder()
        let proxy = try Self.startBus(folder)
        let server = try BusKeyFile.read(path: folder.serverKeyPath).keys.publicKey
        let stranger = BusKeySource.given(.client(keys: try CurveKeyPair.generate(), serverKey: server))
        let sender = try Self.connect(proxy, keys: .file(folder.keyPath("chat")))
        let operatorTool = try Self.connect(proxy, keys: .file(folder.keyPath("operator")))
        let listener = try Self.connect(proxy, keys: .file(folder.keyPath("edge")))
        let intruder = try Self.connect(proxy, keys: stranger)
        let keyless = try Self.connect(proxy, keys: .given(.plain))
        [listener, intruder, keyless].forEach { $0.subscribe(.exact("edge")) }
        let heard = Collector(listener)
        let overheard = Collector(intruder)
        let overheardPlain = Collector(keyless)
        let id = MessageID.make()
        let emit = Envelope(topic: "edge", header: BusHeader(type: .emit, from: "chat-abc123", id: id), body: Data("[]".utf8))
        #expect(await repeatUntil({ sender.publish(emit) }, { heard.contains(id: id) }))
        #expect(await eventually { proxy.statistics.refusedConnections >= 2 })
        #expect(overheard.all.isEmpty && overheardPlain.all.isEmpty)
        #expect(proxy.statistics.accepted >= 5)
        // An operator may not publish an emit: dropped and counted.
        let forged = MessageID.make()
        operatorTool.publish(Envelope(topic: "edge", header: BusHeader(type: .emit, from: "chat-abc123", id: forged),
                                      body: Data("[]".utf8)))
        #expect(await eventually { proxy.statistics.refusedMessages >= 1 })
        #expect(!heard.contains(id: forged))
        for connection in [sender, operatorTool, listener, intruder, keyless] { await connection.close() }
        proxy.terminate()
    }
}

@Suite("Bus rules per role")
struct ProxyRulesTests {
    func refusal(_ role: BusRole, _ topic: String, _ type: MessageType, from: String = "chat-1a2b3c",
                 user: Bool = false, hello: String = "", event: String? = nil) -> String?
    {
        var header = BusHeader(type: type, from: from)
        if user { header.user = Identity(id: "42") }
        header.event = event
        return ProxyRules.refusal(role: role, topic: topic[...], header: header) { Data(hello.utf8) }
    }

    func hello(_ service: String, routes: Bool) -> String {
        let handles = routes ? #"[{"ns":"/","event":"echo"}]"# : "[]"
        return #"{"service":"\#(service)","instance":"x","started":1,"ready":true,"handles":\#(handles),"life":[],"interval":1000}"#
    }

    @Test("a service publishes replies, emits, plain events and its own hello, as itself only")
    func service() {
        let chat = BusRole.service("chat")
        #expect(refusal(chat, "edge", .emit) == nil && refusal(chat, "inbox.x-1", .reply) == nil)
        #expect(refusal(chat, "svc.notification", .event) == nil && refusal(chat, "edge", .event) == nil)
        #expect(refusal(chat, "hello", .hello, hello: hello("chat", routes: true)) == nil)
        #expect(refusal(chat, "edge", .emit, from: "presence-1a2b3c") != nil)
        #expect(refusal(chat, "edge", .emit, from: "chatty-1a2b3c") != nil)
        #expect(refusal(chat, "svc.echo", .event, user: true) != nil)
        #expect(refusal(chat, "hello", .hello, hello: hello("echo", routes: true)) != nil)
        #expect(refusal(chat, "hello", .hello, hello: "not json") != nil)
        #expect(refusal(chat, "life", .life) != nil && refusal(chat, "svc.echo", .emit) != nil)
    }

    @Test("edges, operators and observers stay in their lanes")
    func others() {
        #expect(refusal(.edge, "svc.chat", .event, from: "edge-1", user: true) == nil)
        #expect(refusal(.edge, "life", .life, from: "edge-1") == nil)
        #expect(refusal(.edge, "edge", .emit, from: "edge-1") != nil)
        #expect(refusal(.edge, "hello", .hello, hello: hello("edge", routes: false)) == nil)
        #expect(refusal(.edge, "hello", .hello, hello: hello("chat", routes: true)) != nil)
        #expect(refusal(.operator, "svc.chat", .event, user: true) == nil)
        #expect(refusal(.operator, "edge", .emit) != nil)
        #expect(refusal(.operator, "edge", .event, event: "resync") == nil, "the console asks edges for snapshots")
        #expect(refusal(.operator, "edge", .event, event: "echo") != nil)
        #expect(refusal(.operator, "edge.edge-1", .event, event: "resync") != nil)
        #expect(refusal(.observer, "edge", .event, event: "resync") != nil)
        #expect(refusal(.operator, "hello", .hello, hello: hello("switchboard", routes: true)) != nil)
        #expect(refusal(.observer, "hello", .hello, hello: hello("trace", routes: false)) == nil)
        #expect(refusal(.observer, "svc.chat", .event) != nil)
    }

    @Test("what a role may read")
    func reading() {
        let chat = BusRole.service("chat")
        #expect(ProxyRules.mayRead(role: chat, prefix: "svc.chat") && ProxyRules.mayRead(role: chat, prefix: "life"))
        #expect(!ProxyRules.mayRead(role: chat, prefix: "svc.echo") && !ProxyRules.mayRead(role: chat, prefix: ""))
        #expect(!ProxyRules.mayRead(role: chat, prefix: "svc.cha"))
        #expect(ProxyRules.mayRead(role: .edge, prefix: "edge.edge-1") && !ProxyRules.mayRead(role: .edge, prefix: "svc."))
        #expect(ProxyRules.mayRead(role: .observer, prefix: "") && ProxyRules.mayRead(role: .operator, prefix: ""))
    }
}
