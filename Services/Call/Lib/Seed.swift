import Contracts

/// The call service's part of a seed document (`switchboard seed FILE.json`, see docs/seed.md):
/// `users: [{id, name, profile?, status?, coins?}]` and
/// `telecallers: [{id, name, profile?, language?, about?, approved?, ratePerMinute?, status?}]`.
/// Members other services use (e.g. chat's `servers`) are ignored.
public struct CallSeed: Sendable, Equatable {
    /// Users to insert or replace.
    public var users: [UserAccount]
    /// Telecallers to insert or replace.
    public var telecallers: [Telecaller]

    /// Why a seed document was refused; nothing of it is applied.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        /// What is wrong, e.g. `users[2].name is missing`.
        public var description: String
    }

    /// A seed with these accounts.
    public init(users: [UserAccount] = [], telecallers: [Telecaller] = []) {
        self.users = users
        self.telecallers = telecallers
    }

    /// Reads the seed from `document`; any malformed entry refuses the whole document.
    public init(document: JSON) throws(Invalid) {
        guard document.objectValue != nil else { throw Invalid(description: "the seed document is not an object") }
        users = []
        telecallers = []
        for (index, entry) in try Self.list(document, "users").enumerated() {
            let at = "users[\(index)]"
            users.append(UserAccount(id: try Self.id(entry, at), name: try Self.text(entry, "name", at),
                                     profile: try Self.optionalText(entry, "profile", at),
                                     status: try Self.status(entry, at),
                                     coinBalance: try Self.integer(entry, "coins", at, default: 0)))
        }
        for (index, entry) in try Self.list(document, "telecallers").enumerated() {
            let at = "telecallers[\(index)]"
            telecallers.append(Telecaller(id: try Self.id(entry, at), name: try Self.text(entry, "name", at),
                                          profile: try Self.optionalText(entry, "profile", at),
                                          language: try Self.optionalText(entry, "language", at) ?? "",
                                          about: try Self.optionalText(entry, "about", at) ?? "",
                                          approved: try Self.flag(entry, "approved", at, default: true),
                                          ratePerMinute: try Self.integer(entry, "ratePerMinute", at, default: 0),
                                          status: try Self.status(entry, at)))
        }
    }

    private static func list(_ document: JSON, _ key: String) throws(Invalid) -> [JSON] {
        guard let value = document[key], !value.isNull else { return [] }
        guard let list = value.arrayValue else { throw Invalid(description: "\(key) is not an array") }
        return list
    }

    private static func id(_ entry: JSON, _ at: String) throws(Invalid) -> String {
        if let text = entry["id"]?.stringValue, !text.isEmpty { return text }
        if let number = entry["id"]?.intValue { return String(number) }
        throw Invalid(description: "\(at).id is missing")
    }

    private static func text(_ entry: JSON, _ key: String, _ at: String) throws(Invalid) -> String {
        guard let text = try optionalText(entry, key, at) else { throw Invalid(description: "\(at).\(key) is missing") }
        return text
    }

    private static func optionalText(_ entry: JSON, _ key: String, _ at: String) throws(Invalid) -> String? {
        guard let value = entry[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw Invalid(description: "\(at).\(key) is not a string") }
        return text
    }

    private static func integer(_ entry: JSON, _ key: String, _ at: String, default fallback: Int64) throws(Invalid) -> Int64 {
        guard let value = entry[key], !value.isNull else { return fallback }
        guard let number = value.intValue, number >= 0 else {
            throw Invalid(description: "\(at).\(key) is not a whole number ≥ 0")
        }
        return number
    }

    private static func flag(_ entry: JSON, _ key: String, _ at: String, default fallback: Bool) throws(Invalid) -> Bool {
        guard let value = entry[key], !value.isNull else { return fallback }
        guard let flag = value.boolValue else { throw Invalid(description: "\(at).\(key) is not a boolean") }
        return flag
    }

    private static func status(_ entry: JSON, _ at: String) throws(Invalid) -> AccountStatus {
        guard let text = try optionalText(entry, "status", at) else { return .active }
        guard let status = AccountStatus(rawValue: text) else {
            throw Invalid(description: "\(at).status must be ACTIVE or BLOCKED")
        }
        return status
    }
}
