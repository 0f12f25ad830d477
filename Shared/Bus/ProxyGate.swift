import Foundation
import Logging

/// Who may use the bus: the roles file of the key folder, read again when it changes, and the
/// ZAP handler's answers. Lives on the forwarding thread only.
struct ProxyGate {
    let folder: BusKeyFolder
    private(set) var roles: BusRoles
    private var rolesModified: Date?
    private var lastCheck = ContinuousClock.now
    /// Keys already logged as refused, so each is logged once.
    private var loggedRefusals: Set<String> = []
    /// The keys of recent messages with their roles, by where libzmq keeps a connection's
    /// `User-Id` (one string per connection, shared by its messages); see ``role(ofUserID:)``.
    private var knownKeys: [KnownKey] = []
    /// How many connections' keys ``knownKeys`` remembers before it starts over.
    private static let knownKeysLimit = 64

    /// A connection's key as ``role(ofUserID:)`` remembers it.
    struct KnownKey {
        /// Where libzmq keeps the key's text for the connection (an address, never read through).
        let address: UInt
        /// The key's text, NUL-terminated, to check that the text at `address` is still this key.
        let text: [CChar]
        /// The key.
        let key: String
        /// Its role; `nil` when the roles file does not name it.
        let role: BusRole?
    }
    let logger: Logger

    init(folder: BusKeyFolder, roles: BusRoles, logger: Logger) {
        self.folder = folder
        self.roles = roles
        self.logger = logger
        rolesModified = Self.modified(folder.rolesPath)
    }

    func logProblems() {
        for problem in roles.problems {
            logger.error("roles file \(folder.rolesPath), \(problem): line skipped")
        }
    }

    /// Reads the roles file again when it changed, at most once a second. A file that cannot be
    /// read keeps the roles in force.
    mutating func reloadIfChanged() {
        let now = ContinuousClock.now
        guard now - lastCheck >= .seconds(1) else { return }
        lastCheck = now
        let modified = Self.modified(folder.rolesPath)
        guard modified != rolesModified,
              let text = try? String(contentsOfFile: folder.rolesPath, encoding: .utf8)
        else { return }
        rolesModified = modified
        roles = BusRoles(text: text)
        loggedRefusals.removeAll()
        knownKeys.removeAll()
        logger.notice("roles file read again: \(roles.roles.count) keys")
        logProblems()
    }

    /// The key and role of the sender of a message whose `User-Id` is `userID`. A message's
    /// `User-Id` points into its connection's metadata, so the messages of one connection share
    /// it: the key is read and looked up once per connection, not once per message. The text
    /// is compared as well, since another connection's metadata may later sit at the same place.
    mutating func role(ofUserID userID: UnsafePointer<CChar>) -> KnownKey {
        let address = UInt(bitPattern: userID)
        if let known = knownKeys.first(where: { $0.address == address }),
           known.text.withUnsafeBufferPointer({ strcmp($0.baseAddress!, userID) }) == 0
        {
            return known
        }
        let key = String(cString: userID)
        let known = KnownKey(address: address, text: key.utf8CString.map { $0 }, key: key, role: roles.roles[key])
        knownKeys.removeAll { $0.address == address }
        if knownKeys.count == Self.knownKeysLimit { knownKeys.removeAll() }
        knownKeys.append(known)
        return known
    }

    /// The ZAP reply to one request (RFC 27): `200` with the key as User-Id for a known CURVE
    /// key, `400` for anything else. Always a reply, so the REP socket stays in step.
    mutating func answer(_ request: [Data]) -> (frames: [Data], accepted: Bool) {
        let requestID = request.count > 1 ? request[1] : Data()
        func reply(_ code: String, _ text: String, user: String = "") -> [Data] {
            [Data("1.0".utf8), requestID, Data(code.utf8), Data(text.utf8), Data(user.utf8), Data()]
        }
        guard request.count >= 7, request[0] == Data("1.0".utf8), request[5] == Data("CURVE".utf8),
              let key = CurveKeyPair.encode(Array(request[6]))
        else {
            logOnce("malformed", "refused a bus connection: not a CURVE ZAP request")
            return (reply("400", "CURVE only"), false)
        }
        guard roles.roles[key] != nil else {
            let address = String(decoding: request[3], as: UTF8.self)
            logOnce(key, "refused a bus connection: key \(key) is not in \(folder.rolesPath)",
                    metadata: ["address": "\(address)"])
            return (reply("400", "unknown key"), false)
        }
        return (reply("200", "OK", user: key), true)
    }

    /// Logs a refused message or subscription, once per key and reason.
    mutating func logRefusal(key: String, reason: String) {
        let role = roles.roles[key].map { "\($0)" } ?? "none"
        logOnce("\(key) \(reason)", "refused \(reason) from key \(key) (role \(role)); such messages are dropped and counted")
    }

    private mutating func logOnce(_ key: String, _ message: Logger.Message, metadata: Logger.Metadata = [:]) {
        guard loggedRefusals.insert(key).inserted else { return }
        logger.warning(message, metadata: metadata)
    }

    private static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}
