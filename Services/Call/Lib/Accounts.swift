import Contracts

/// Whether an account may use the service.
public enum AccountStatus: String, Codable, Sendable, CaseIterable {
    /// May connect and call.
    case active = "ACTIVE"
    /// Refused at connection ("Account suspended. Please contact support.") and for calls.
    case blocked = "BLOCKED"
}

/// A calling user, as loaded from storage.
public struct UserAccount: Codable, Sendable, Equatable {
    /// User id (the JWT identity's `id`).
    public var id: String
    /// Display name.
    public var name: String
    /// Avatar identifier, if any.
    public var profile: String?
    /// Account status.
    public var status: AccountStatus
    /// Coins left; calls are paid from it.
    public var coinBalance: Int64

    /// A user with every field given.
    public init(id: String, name: String, profile: String? = nil, status: AccountStatus = .active,
                coinBalance: Int64)
    {
        self.id = id
        self.name = name
        self.profile = profile
        self.status = status
        self.coinBalance = coinBalance
    }

    /// The caller object of `call:incoming` and the telecaller's `call:accepted`:
    /// `{_id, name, profile}` (profile `null` when absent), shaped like the seed's telecaller
    /// object of `call:ringing`.
    public var callerJSON: JSON {
        ["_id": .string(id), "name": .string(name), "profile": profile.map(JSON.string) ?? .null]
    }
}

/// A telecaller, as loaded from storage.
public struct Telecaller: Codable, Sendable, Equatable {
    /// User id of the telecaller (the seed's `telecallerId`).
    public var id: String
    /// Display name; used in the "{name} is …" errors.
    public var name: String
    /// Avatar identifier, if any.
    public var profile: String?
    /// Preferred language.
    public var language: String
    /// Short bio.
    public var about: String
    /// Only approved telecallers can be called and have their presence announced.
    public var approved: Bool
    /// Coins per started minute.
    public var ratePerMinute: Int64
    /// Account status; a blocked telecaller cannot connect and cannot be called.
    public var status: AccountStatus

    /// A telecaller with every field given.
    public init(id: String, name: String, profile: String? = nil, language: String, about: String,
                approved: Bool = true, ratePerMinute: Int64, status: AccountStatus = .active)
    {
        self.id = id
        self.name = name
        self.profile = profile
        self.language = language
        self.about = about
        self.approved = approved
        self.ratePerMinute = ratePerMinute
        self.status = status
    }

    /// The telecaller object of `call:ringing`: `{_id, name, profile}`.
    public var summaryJSON: JSON {
        ["_id": .string(id), "name": .string(name), "profile": profile.map(JSON.string) ?? .null]
    }

    /// The telecaller object of `telecaller:presence-changed` when ONLINE:
    /// `{_id, name, profile, language, about}`.
    public var presenceJSON: JSON {
        ["_id": .string(id), "name": .string(name), "profile": profile.map(JSON.string) ?? .null,
         "language": .string(language), "about": .string(about)]
    }
}

/// A telecaller's presence as users see it (`telecaller:presence-changed`'s `presence`).
public enum Presence: String, Codable, Sendable, CaseIterable {
    /// Connected, available and not in a call.
    case online = "ONLINE"
    /// No socket connected, or set unavailable with `telecaller:set-availability`.
    case offline = "OFFLINE"
    /// Connected with a RINGING or ACCEPTED call.
    case onCall = "ON_CALL"
}
