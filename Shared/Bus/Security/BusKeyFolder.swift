import Foundation

/// The folder of bus keys (mode 0700): the bus's `bus.key`, one `<name>.key` per process
/// (mode 0600, see ``BusKeyFile``) and the `roles` file that lists every public key with its
/// role (``BusRoles``). `switchboard keys` fills it; the bus reads `bus.key` and `roles`.
public struct BusKeyFolder: Sendable {
    /// The folder's path.
    public let path: String

    /// The folder at `path` (nothing is created until ``ensure(_:)``).
    public init(path: String) {
        self.path = path
    }

    /// `BUS_KEYS`, else `<SWITCHBOARD_DATA>/keys`, else `data/keys`.
    public static func path(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["BUS_KEYS"] ?? "\(environment["SWITCHBOARD_DATA"] ?? "data")/keys"
    }

    /// The keys every `deploy/run` process uses, by key file name: the edge, each Procfile
    /// service and the echo service, the operator's tool, the console (an operator) and an observer.
    public static let standardMembers: [(name: String, role: BusRole)] = [
        ("edge", .edge), ("chat", .service("chat")), ("presence", .service("presence")),
        ("call", .service("call")), ("notification", .service("notification")),
        ("echo-service", .service("echo")), ("operator", .operator), ("console", .operator),
        ("observer", .observer),
    ]

    /// The path of the bus's key file.
    public var serverKeyPath: String { "\(path)/bus.key" }
    /// The path of the roles file.
    public var rolesPath: String { "\(path)/roles" }

    /// The path of the key file named `name`.
    public func keyPath(_ name: String) -> String { "\(path)/\(name).key" }

    /// Creates what is missing: the folder, the bus's key, and a key file and a roles line for
    /// each member without a key file. Returns the names it created keys for. Existing keys stay.
    @discardableResult
    public func ensure(_ members: [(name: String, role: BusRole)]) throws(BusKeyError) -> [String] {
        try PrivateFile.makeFolder(path)
        let server: CurveKeyPair
        if FileManager.default.fileExists(atPath: serverKeyPath) {
            server = try BusKeyFile.read(path: serverKeyPath).keys
        } else {
            server = try CurveKeyPair.generate()
            try PrivateFile.write(BusKeyFile(keys: server, serverKey: nil).text(note: "the bus"), to: serverKeyPath)
        }
        var roles = (try? String(contentsOfFile: rolesPath, encoding: .utf8)) ?? BusRoles.preamble
        var created: [String] = []
        for member in members where !FileManager.default.fileExists(atPath: keyPath(member.name)) {
            try Self.checkName(member.name)
            let keys = try CurveKeyPair.generate()
            let file = BusKeyFile(keys: keys, serverKey: server.publicKey)
            try PrivateFile.write(file.text(note: "\(member.name), role \(member.role)"), to: keyPath(member.name))
            roles += BusRoles.line(publicKey: keys.publicKey, role: member.role, note: member.name)
            created.append(member.name)
        }
        try PrivateFile.write(roles, to: rolesPath)
        return created
    }

    /// Gives the key file `name` a new key pair with the same role; the old public key leaves
    /// the roles file, so the bus refuses it from its next read of the file on.
    public func rotate(_ name: String) throws(BusKeyError) {
        try Self.checkName(name)
        let old = try BusKeyFile.read(path: keyPath(name))
        let server = try BusKeyFile.read(path: serverKeyPath).keys
        let text = (try? String(contentsOfFile: rolesPath, encoding: .utf8)) ?? ""
        guard let role = BusRoles(text: text).roles[old.keys.publicKey] else {
            throw .invalid("\(name)'s public key is not in \(rolesPath) (revoked?)")
        }
        let keys = try CurveKeyPair.generate()
        let rewritten = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix(old.keys.publicKey) }
            .joined(separator: "\n")
        try PrivateFile.write(BusKeyFile(keys: keys, serverKey: server.publicKey).text(note: "\(name), role \(role)"),
                              to: keyPath(name))
        let separator = rewritten.hasSuffix("\n") || rewritten.isEmpty ? "" : "\n"
        try PrivateFile.write(rewritten + separator + BusRoles.line(publicKey: keys.publicKey, role: role, note: name),
                              to: rolesPath)
    }

    /// The bus's key pair and the current roles, with the problems of the roles file.
    public func loadServer() throws(BusKeyError) -> (keys: CurveKeyPair, roles: BusRoles) {
        let keys = try BusKeyFile.read(path: serverKeyPath).keys
        let text: String
        do {
            text = try String(contentsOfFile: rolesPath, encoding: .utf8)
        } catch {
            throw .file(path: rolesPath, reason: "cannot be read (\(error.localizedDescription))")
        }
        return (keys, BusRoles(text: text))
    }

    private static func checkName(_ name: String) throws(BusKeyError) {
        guard !name.isEmpty, name != "bus", !name.hasPrefix("."),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw .invalid("a key name is letters, digits, - and _ (and not `bus`): \(name)") }
    }
}
