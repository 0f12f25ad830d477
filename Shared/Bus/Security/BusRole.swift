/// What a key may do on the bus (docs/operations.md). The bus's roles file gives each known
/// public key one role; a key that is not in it cannot connect.
public enum BusRole: Hashable, Sendable, CustomStringConvertible {
    /// An edge: publishes client events, life facts and the identity header; reads replies and emits.
    case edge
    /// The service of that name: announces it in `hello`, reads `svc.<name>`, publishes replies and emits.
    case service(String)
    /// The operator's tool (`switchboard trace/status/send/seed`): reads everything, sends its own events.
    case `operator`
    /// Reads what an operator reads; publishes nothing but its hello.
    case observer

    /// Reads `edge`, `service:<name>`, `operator` or `observer`; `nil` for anything else.
    public init?(_ text: Substring) {
        switch text {
        case "edge": self = .edge
        case "operator": self = .operator
        case "observer": self = .observer
        default:
            guard text.hasPrefix("service:") else { return nil }
            let name = text.dropFirst("service:".count)
            guard !name.isEmpty, name.allSatisfy(Self.isNameCharacter) else { return nil }
            self = .service(String(name))
        }
    }

    /// The role as the roles file writes it.
    public var description: String {
        switch self {
        case .edge: "edge"
        case .service(let name): "service:\(name)"
        case .operator: "operator"
        case .observer: "observer"
        }
    }

    /// The name a key file of this role is given by default: `edge`, `<service>`, `operator`, `observer`.
    public var defaultKeyName: String {
        switch self {
        case .edge: "edge"
        case .service(let name): name
        case .operator: "operator"
        case .observer: "observer"
        }
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }
}

/// The bus's roles file: one known public key per line with its role, `KEY ROLE  # note`.
/// Blank lines, `# ` comment lines and comments after the role are skipped; a line that cannot
/// be read is reported, not fatal.
public struct BusRoles: Sendable, Equatable {
    /// The role of each known public key (Z85).
    public private(set) var roles: [String: BusRole] = [:]
    /// The lines that could not be read, as `line N: reason` (the bus logs them).
    public private(set) var problems: [String] = []

    /// The roles written in `text`.
    public init(text: String) {
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // `#` is also a Z85 digit (never a key's first): a comment is a word starting with `#`.
            let words = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty || words[0].hasPrefix("#") { continue }
            guard words.count >= 2, words.count == 2 || words[2].hasPrefix("#") else {
                problems.append("line \(index + 1): expected `PUBLIC-KEY ROLE`")
                continue
            }
            guard CurveKeyPair.decode(String(words[0])) != nil else {
                problems.append("line \(index + 1): not a 40-character Z85 public key")
                continue
            }
            guard let role = BusRole(words[1]) else {
                problems.append("line \(index + 1): unknown role \(words[1]) (edge, service:NAME, operator, observer)")
                continue
            }
            roles[String(words[0])] = role
        }
    }

    /// The line that gives `publicKey` its `role`, with `note` as a comment.
    public static func line(publicKey: String, role: BusRole, note: String) -> String {
        "\(publicKey) \(role)  # \(note)\n"
    }

    /// What a new roles file starts with: how to read and edit it.
    public static let preamble = """
        # Switchboard bus keys: one line per key, `PUBLIC-KEY ROLE  # note`.
        # ROLE: edge, service:NAME, operator or observer. The bus reads this file again when it
        # changes: delete a line to revoke its key (docs/operations.md).

        """
}
