import Foundation
import Testing
@testable import Edge

@Suite struct EdgeConfigurationTests {
    @Test func anEmptyFileKeepsEveryDefault() throws {
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data("{}".utf8))
        #expect(configuration.listeners == [EdgeConfiguration.Listener(port: 3000)])
        #expect(configuration.path == "/socket.io/")
        #expect(configuration.pingInterval == 25_000 && configuration.pingTimeout == 20_000)
        #expect(configuration.maxPayload == 1_000_000 && configuration.connectTimeout == 45_000)
        #expect(Set(configuration.namespaces.keys) == ["/", "/user", "/telecaller"])
        #expect(configuration.namespaces["/user"] ==
            EdgeConfiguration.Namespace(auth: .jwt, role: "USER", decide: true, connectionsPerMinute: 10))
        #expect(configuration.delivery.maxAgeMilliseconds == 10_000)
        #expect(configuration.listeners[0].host == "127.0.0.1")
        #expect(configuration.limits == EdgeConfiguration.Limits())
        #expect(configuration.limits.headerTimeout == 20_000 && configuration.limits.idleTimeout == 20_000)
        #expect(configuration.limits.connectionsPerMinute == 600)
        #expect(configuration.limits.eventsPerSecond == 200 && configuration.limits.eventBurst == 1_000)
    }

    @Test func theOfficialTestSuiteSettingsRead() throws {
        let text = #"""
        {"pingInterval": 300, "pingTimeout": 200, "connectTimeout": 1000, "cors": {"origins": ["*"], "credentials": false},
         "namespaces": {"/": {"auth": "none"}, "/custom": {"auth": "none"}}}
        """#
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(text.utf8))
        #expect(configuration.pingInterval == 300 && configuration.pingTimeout == 200)
        #expect(configuration.connectTimeout == 1000)
        #expect(configuration.namespaces(ofListener: 0).keys.sorted() == ["/", "/custom"])
        #expect(configuration.namespaces["/custom"]?.auth == EdgeConfiguration.AuthMode.none)
        #expect(configuration.cors.credentials == false)
    }

    @Test func aListenerMayHaveItsOwnNamespaces() throws {
        let text = #"{"listeners": [{"port": 4000, "namespaces": {"/": {"auth": "session"}}}, {"port": 5000}]}"#
        let configuration = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(text.utf8))
        #expect(configuration.namespaces(ofListener: 0) == ["/": EdgeConfiguration.Namespace(auth: .session)])
        #expect(configuration.namespaces(ofListener: 1) == EdgeConfiguration.defaultNamespaces)
        #expect(configuration.listeners[0].host == "127.0.0.1")
    }

    @Test func theEnvironmentOverridesSecretsAndPort() throws {
        let configuration = try EdgeConfiguration.load(environment: [
            "EDGE_JWT_SECRET": String(repeating: "s", count: 40), "EDGE_PORT": "3999",
            "EDGE_SESSION_SECRET": "keyboard cat",
        ])
        #expect(configuration.jwtSecret.count == 40)
        #expect(configuration.listeners[0].port == 3999)
        #expect(configuration.session.secret == "keyboard cat")
    }

    @Test func aShortJWTSecretIsRefused() {
        #expect(throws: ConfigurationError.self) {
            try EdgeConfiguration.load(environment: ["EDGE_JWT_SECRET": "short"])
        }
    }

    @Test func limitsReadWithTheirDefaults() throws {
        let text = #"{"limits": {"eventsPerSecond": 0, "headerTimeout": 500}}"#
        let limits = try JSONDecoder().decode(EdgeConfiguration.self, from: Data(text.utf8)).limits
        #expect(limits.eventsPerSecond == 0 && limits.headerTimeout == 500)
        #expect(limits.idleTimeout == 20_000 && limits.connectionsPerMinute == 600 && limits.eventBurst == 1_000)
    }

    @Test func listeningBeyondLoopbackNeedsSecretsOfOnesOwn() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(UUID()).json")
        try Data(#"{"listeners": [{"host": "0.0.0.0", "port": 3000}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: ConfigurationError.self) { try EdgeConfiguration.load(environment: ["EDGE_CONFIG": file.path]) }
        #expect(throws: ConfigurationError.self, "the session secret too") {
            try EdgeConfiguration.load(environment: ["EDGE_CONFIG": file.path,
                                                     "EDGE_JWT_SECRET": String(repeating: "s", count: 40)])
        }
        let exposed = try EdgeConfiguration.load(environment: [
            "EDGE_CONFIG": file.path, "EDGE_JWT_SECRET": String(repeating: "s", count: 40),
            "EDGE_SESSION_SECRET": "keyboard cat",
        ])
        #expect(exposed.listeners[0].host == "0.0.0.0")
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            #expect(EdgeConfiguration.isLoopback(host))
        }
        #expect(!EdgeConfiguration.isLoopback("10.0.0.1") && !EdgeConfiguration.isLoopback("::"))
    }

    @Test func theExampleFilesInDeployAreValid() throws {
        let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy")
        for name in ["edge.example.json", "edge.contracts.json"] {
            let data = try Data(contentsOf: deploy.appendingPathComponent(name))
            _ = try JSONDecoder().decode(EdgeConfiguration.self, from: data)
        }
        let example = try JSONDecoder().decode(EdgeConfiguration.self,
                                               from: Data(contentsOf: deploy.appendingPathComponent("edge.example.json")))
        #expect(example.namespaces == EdgeConfiguration.defaultNamespaces, "the example shows the defaults")
        #expect(example.limits == EdgeConfiguration.Limits(), "the example shows the defaults")
        #expect(example.listeners == [EdgeConfiguration.Listener(port: 3000)], "the example shows the defaults")
    }
}
