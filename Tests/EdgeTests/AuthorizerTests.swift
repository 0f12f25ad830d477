import Contracts
import Foundation
import GRDB
import Testing
@testable import Edge

@Suite struct AuthorizerTests {
    static let secret = String(repeating: "k", count: 32)

    func authorizer(sessionDatabase: String = "/nonexistent.sqlite") async -> Authorizer {
        var configuration = EdgeConfiguration()
        configuration.jwtSecret = Self.secret
        configuration.session = .init(secret: "keyboard cat", database: sessionDatabase)
        return await Authorizer(configuration: configuration)
    }

    func request(_ settings: EdgeConfiguration.Namespace, auth: JSON? = nil, cookie: String? = nil,
                 address: String = "10.0.0.1") -> Authorizer.Request
    {
        Authorizer.Request(namespace: "/ns", settings: settings, auth: auth, cookie: cookie, address: address,
                           listener: 0)
    }

    func token(role: String?) async throws -> String {
        try await JWTAuthenticator(configuration: .init(secret: Self.secret))
            .sign(id: "u1", role: role, name: "Ann", expires: nil)
    }

    @Test func noneIsAnonymousAndKeepsTheHandshakeAsSent() async {
        // socket.io-protocol: `40{"token":"123"}` → `socket.handshake.auth` is `{"token":"123"}`.
        let result = await authorizer().authenticate(request(.init(auth: .none), auth: ["token": "x", "room": "7"]))
        guard case .success(let admitted) = result else { Issue.record("refused: \(result)"); return }
        #expect(admitted.identity == nil)
        #expect(admitted.auth == ["token": "x", "room": "7"])
    }

    @Test func theTokenIsTakenOutOnlyWhereTheEdgeCheckedIt() async throws {
        let auth = await authorizer()
        let user = try await token(role: "USER")
        let checked = await auth.authenticate(request(.init(auth: .jwt), auth: ["token": .string(user), "device": "ios"]))
        #expect((try? checked.get())?.auth == ["device": "ios"])
        let optional = await auth.authenticate(request(.init(auth: .optional), auth: ["token": .string(user), "v": 2]))
        #expect((try? optional.get())?.auth == ["v": 2])
        // Not a string: no credential was taken from it, so it goes on as sent.
        let number = await auth.authenticate(request(.init(auth: .optional), auth: ["token": 123]))
        #expect((try? number.get())?.auth == ["token": 123])
    }

    @Test func jwtChecksTheTokenAndTheRole() async throws {
        let auth = await authorizer()
        let user = try await token(role: "USER")
        let ok = await auth.authenticate(request(.init(auth: .jwt, role: "USER"), auth: ["token": .string(user)]))
        #expect((try? ok.get())?.identity == Identity(id: "u1", role: "USER", name: "Ann"))
        let wrongRole = await auth.authenticate(request(.init(auth: .jwt, role: "TELECALLER"),
                                                        auth: ["token": .string(user)]))
        #expect(wrongRole.failure == .accessDenied)
        #expect(await auth.authenticate(request(.init(auth: .jwt))).failure == .tokenRequired)
        #expect(await auth.authenticate(request(.init(auth: .jwt), auth: ["token": "nope"])).failure == .invalidToken)
    }

    @Test func optionalAdmitsAnonymousButChecksWhatIsSent() async throws {
        let auth = await authorizer()
        #expect((try? await auth.authenticate(request(.init(auth: .optional))).get())?.identity == nil)
        let user = try await token(role: nil)
        let withToken = await auth.authenticate(request(.init(auth: .optional), auth: ["token": .string(user)]))
        #expect((try? withToken.get())?.identity?.id == "u1")
        #expect(await auth.authenticate(request(.init(auth: .optional), auth: ["token": "bad"])).failure == .invalidToken)
        let badCookie = await auth.authenticate(request(.init(auth: .optional), cookie: "connect.sid=s%3Ax.y"))
        #expect(badCookie.failure == .unauthorized)
    }

    @Test func sessionNeedsALiveSignedSession() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s-\(UUID()).sqlite").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE sessions (sid PRIMARY KEY, expired, sess)")
            try db.execute(sql: "INSERT INTO sessions VALUES ('abc', ?, '{\"user_id\": 7}')",
                           arguments: [Int64(Date().timeIntervalSince1970 * 1000) + 60_000])
        }
        let auth = await authorizer(sessionDatabase: path)
        let signature = SessionAuthenticator(configuration: .init(secret: "keyboard cat", databasePath: path)).sign("abc")
        let cookie = "connect.sid=" + ("s:abc." + signature).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let ok = await auth.authenticate(request(.init(auth: .session), cookie: cookie))
        #expect((try? ok.get())?.identity?.id == "7")
        #expect(await auth.authenticate(request(.init(auth: .session))).failure == .unauthorized)
    }

    @Test func theConfiguredCookieNameIsTheOneChecked() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s-\(UUID()).sqlite").path
        try await DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE sessions (sid PRIMARY KEY, expired, sess)")
            try db.execute(sql: "INSERT INTO sessions VALUES ('abc', ?, '{\"user_id\": 7}')",
                           arguments: [Int64(Date().timeIntervalSince1970 * 1000) + 60_000])
        }
        var configuration = EdgeConfiguration()
        configuration.jwtSecret = Self.secret
        configuration.session = .init(secret: "keyboard cat", database: path, cookie: "zizany.sid")
        let auth = await Authorizer(configuration: configuration)
        let signature = SessionAuthenticator(configuration: .init(secret: "keyboard cat", databasePath: path)).sign("abc")
        let value = ("s:abc." + signature).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let named = await auth.authenticate(request(.init(auth: .session), cookie: "zizany.sid=" + value))
        #expect((try? named.get())?.identity?.id == "7")
        let other = await auth.authenticate(request(.init(auth: .session), cookie: "connect.sid=" + value))
        #expect(other.failure == .unauthorized)
        let http = await auth.authenticateHTTP(cookie: "zizany.sid=" + value, authorization: nil)
        #expect((try? http.get())?.identity?.id == "7")
    }

    @Test func theRateLimitCountsPerAddressAndNamespace() async {
        let auth = await authorizer()
        let limited = EdgeConfiguration.Namespace(auth: .none, connectionsPerMinute: 3)
        var outcomes: [Bool] = []
        for _ in 0..<4 {
            outcomes.append((try? await auth.authenticate(request(limited)).get()) != nil)
        }
        #expect(outcomes == [true, true, true, false])
        #expect(await auth.authenticate(request(limited)).failure == .rateLimited)
        #expect((try? await auth.authenticate(request(limited, address: "10.0.0.2")).get()) != nil)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
