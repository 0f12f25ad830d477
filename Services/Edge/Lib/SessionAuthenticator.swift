import Contracts
import Crypto
import Foundation
import GRDB

/// express-session authentication: the signed `connect.sid` cookie
/// (`s:<sid>.<base64 HMAC-SHA256 of sid, padding removed>`, URL-encoded in the Cookie header),
/// looked up in the `sessions` table that connect-sqlite3 writes (`sid`, `expired` in ms since
/// the epoch, `sess` as JSON text), so an Express app and the edge can share one file.
/// The identity is the session's `user_id` (number or string), with `username` as its name.
struct SessionAuthenticator: Sendable {
    /// The secret, the cookie and the store.
    struct Configuration: Sendable {
        /// express-session's `secret`.
        var secret: String
        /// Path of the SQLite file holding the `sessions` table.
        var databasePath: String
        /// Cookie name. Default `connect.sid`.
        var cookieName = "connect.sid"
        /// Table name. Default `sessions` (connect-sqlite3's default).
        var table = "sessions"

        /// A configuration with the secret and the file.
        init(secret: String, databasePath: String) {
            self.secret = secret
            self.databasePath = databasePath
        }
    }

    private let configuration: Configuration
    private let key: SymmetricKey

    /// An authenticator for `configuration`; the file is opened per lookup, read-only.
    init(configuration: Configuration) {
        self.configuration = configuration
        key = SymmetricKey(data: Data(configuration.secret.utf8))
    }

    /// Refuses with `E_UNAUTHORIZED` unless the cookie is validly signed and names a live
    /// session with a user id.
    func authenticate(cookieHeader: String?) async -> Result<Identity, AuthFailure> {
        guard let raw = cookieHeader.flatMap({ Self.cookie(named: configuration.cookieName, in: $0) }),
              let sid = unsign(raw) else { return .failure(.unauthorized) }
        do {
            guard let identity = try await lookUp(sid) else { return .failure(.unauthorized) }
            return .success(identity)
        } catch {
            return .failure(.unauthorized)
        }
    }

    /// The session id of a signed value `s:<sid>.<signature>`, or `nil` when the signature is wrong.
    func unsign(_ value: String) -> String? {
        guard value.hasPrefix("s:"), let dot = value.lastIndex(of: ".") else { return nil }
        let sid = String(value[value.index(value.startIndex, offsetBy: 2)..<dot])
        let given = String(value[value.index(after: dot)...])
        guard !sid.isEmpty, Self.constantTimeEquals(given, sign(sid)) else { return nil }
        return sid
    }

    /// express's cookie-signature: base64 HMAC-SHA256 of the value, trailing `=` removed.
    func sign(_ sid: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(sid.utf8), using: key)
        var text = Data(mac).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    private func lookUp(_ sid: String) async throws -> Identity? {
        var options = GRDB.Configuration()
        options.readonly = true
        let queue = try DatabaseQueue(path: configuration.databasePath, configuration: options)
        let table = configuration.table
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let text = try await queue.read { db in
            try String.fetchOne(db, sql: "SELECT sess FROM \"\(table)\" WHERE sid = ? AND expired > ?",
                                arguments: [sid, now])
        }
        guard let text, let session = try? JSONCoding.decode(JSON.self, from: Data(text.utf8)) else { return nil }
        let userID = session["user_id"]?.stringValue ?? session["user_id"]?.intValue.map { String($0) }
        guard let userID, !userID.isEmpty else { return nil }
        return Identity(id: userID, role: nil, name: session["username"]?.stringValue)
    }

    /// The value of cookie `name` in a Cookie header, percent-decoded.
    static func cookie(named name: String, in header: String) -> String? {
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            return value.removingPercentEncoding ?? value
        }
        return nil
    }

    private static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
