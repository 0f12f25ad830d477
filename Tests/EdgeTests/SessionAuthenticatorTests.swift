import Contracts
import Foundation
import GRDB
import Testing
@testable import Edge

@Suite struct SessionAuthenticatorTests {
    /// A sessions file in connect-sqlite3's layout with one live and one expired session.
    func makeStore() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sessions-\(UUID()).sqlite").path
        let queue = try DatabaseQueue(path: path)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE sessions (sid PRIMARY KEY, expired, sess)")
            try db.execute(sql: "INSERT INTO sessions VALUES (?, ?, ?)",
                           arguments: ["live", now + 600_000, #"{"cookie":{},"user_id":2,"username":"Sara"}"#])
            try db.execute(sql: "INSERT INTO sessions VALUES (?, ?, ?)",
                           arguments: ["old", now - 1, #"{"cookie":{},"user_id":3}"#])
            try db.execute(sql: "INSERT INTO sessions VALUES (?, ?, ?)",
                           arguments: ["anon", now + 600_000, #"{"cookie":{}}"#])
        }
        return path
    }

    func authenticator(_ path: String) -> SessionAuthenticator {
        SessionAuthenticator(configuration: .init(secret: "keyboard cat", databasePath: path))
    }

    func cookie(for sid: String, _ auth: SessionAuthenticator) -> String {
        let value = "s:\(sid).\(auth.sign(sid))"
        let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? value
        return "theme=dark; connect.sid=\(encoded); other=1"
    }

    @Test func signsLikeExpress() {
        // cookie-signature's own example: sign('hello', 'tobiiscool').
        let auth = SessionAuthenticator(configuration: .init(secret: "tobiiscool", databasePath: "/nonexistent"))
        #expect(auth.sign("hello") == "DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI")
        #expect(auth.unsign("s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI") == "hello")
        #expect(auth.unsign("s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QJ") == nil)
        #expect(auth.unsign("hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI") == nil)
    }

    @Test func liveSessionGivesItsUser() async throws {
        let path = try makeStore()
        let auth = authenticator(path)
        #expect(await auth.authenticate(cookieHeader: cookie(for: "live", auth)) ==
            .success(Identity(id: "2", role: nil, name: "Sara")))
    }

    @Test func everythingElseIsUnauthorized() async throws {
        let path = try makeStore()
        let auth = authenticator(path)
        let forged = "connect.sid=s%3Alive.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        for header in [nil, "", "theme=dark", forged, cookie(for: "old", auth), cookie(for: "anon", auth),
                       cookie(for: "missing", auth)] {
            #expect(await auth.authenticate(cookieHeader: header) == .failure(.unauthorized))
        }
        let noFile = SessionAuthenticator(configuration: .init(secret: "keyboard cat", databasePath: "/nonexistent/x.sqlite"))
        #expect(await noFile.authenticate(cookieHeader: cookie(for: "live", auth)) == .failure(.unauthorized))
        #expect(AuthFailure.unauthorized.payload == ["message": "E_UNAUTHORIZED"])
    }
}
