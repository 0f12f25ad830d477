import Contracts

/// The kind of media a call carries (the seed's `callType`, matched case-sensitively).
public enum CallType: String, Codable, Sendable, CaseIterable {
    /// Voice only.
    case audio = "AUDIO"
    /// Voice and video.
    case video = "VIDEO"
}

/// Where a call stands. `RINGING` and `ACCEPTED` are live; every other status is final.
public enum CallStatus: String, Codable, Sendable, CaseIterable {
    /// The telecaller is being rung; the ring deadline runs.
    case ringing = "RINGING"
    /// The telecaller answered; the LiveKit room is in use.
    case accepted = "ACCEPTED"
    /// The telecaller declined.
    case rejected = "REJECTED"
    /// The user hung up before an answer.
    case cancelled = "CANCELLED"
    /// Nobody answered in time, or a side went away while it rang.
    case missed = "MISSED"
    /// An accepted call that has ended, for whatever reason.
    case completed = "COMPLETED"

    /// `true` for `RINGING` and `ACCEPTED`.
    public var isLive: Bool { self == .ringing || self == .accepted }

    /// Whether the state machine allows moving from this status to `next`:
    /// RINGING → ACCEPTED | REJECTED | CANCELLED | MISSED, ACCEPTED → COMPLETED, nothing else.
    public func canMove(to next: CallStatus) -> Bool {
        switch (self, next) {
        case (.ringing, .accepted), (.ringing, .rejected), (.ringing, .cancelled), (.ringing, .missed),
             (.accepted, .completed):
            true
        default:
            false
        }
    }
}

/// Why a call reached its final status; stored with the record for history and support.
public enum CallEndReason: String, Codable, Sendable, CaseIterable {
    /// The telecaller sent `call:reject`.
    case rejected
    /// The user sent `call:cancel`.
    case cancelled
    /// The ring deadline passed.
    case ringTimeout
    /// The user sent `call:end`.
    case endedByUser
    /// The telecaller sent `call:end`.
    case endedByTelecaller
    /// The user's socket that owns the call disconnected.
    case userDisconnected
    /// The telecaller's owning socket disconnected (or, while ringing, their last socket).
    case telecallerDisconnected
    /// The user's balance covered no further minute.
    case balanceExhausted
}

/// One call, as stored. Times are milliseconds since the Unix epoch (the bus's unit).
public struct Call: Codable, Sendable, Equatable {
    /// Call id; also the LiveKit room name.
    public var id: String
    /// The calling user's id.
    public var userId: String
    /// The called telecaller's id.
    public var telecallerId: String
    /// Audio or video.
    public var callType: CallType
    /// Coins per started minute, fixed when the call was initiated.
    public var ratePerMinute: Int64
    /// Current status.
    public var status: CallStatus
    /// When `call:initiate` was accepted.
    public var initiatedAt: Int64
    /// When an unanswered call becomes MISSED (`initiatedAt` + ring timeout).
    public var ringDeadline: Int64
    /// When the telecaller accepted.
    public var acceptedAt: Int64?
    /// When the call reached its final status (for a timeout: the deadline itself).
    public var endedAt: Int64?
    /// The user's socket that initiated the call; only its disconnect affects the call.
    public var userSid: String
    /// The telecaller's socket that accepted the call; only its disconnect affects the call.
    public var telecallerSid: String?
    /// Whole seconds from `acceptedAt` to `endedAt`, set on COMPLETED.
    public var durationSeconds: Int64?
    /// Coins actually debited from the user, set on COMPLETED.
    public var coins: Int64?
    /// Why the call ended, set with the final status.
    public var endReason: CallEndReason?

    /// A call with every field given; the optional ones default to "not yet".
    public init(id: String, userId: String, telecallerId: String, callType: CallType,
                ratePerMinute: Int64, status: CallStatus = .ringing, initiatedAt: Int64,
                ringDeadline: Int64, acceptedAt: Int64? = nil, endedAt: Int64? = nil,
                userSid: String, telecallerSid: String? = nil, durationSeconds: Int64? = nil,
                coins: Int64? = nil, endReason: CallEndReason? = nil)
    {
        self.id = id
        self.userId = userId
        self.telecallerId = telecallerId
        self.callType = callType
        self.ratePerMinute = ratePerMinute
        self.status = status
        self.initiatedAt = initiatedAt
        self.ringDeadline = ringDeadline
        self.acceptedAt = acceptedAt
        self.endedAt = endedAt
        self.userSid = userSid
        self.telecallerSid = telecallerSid
        self.durationSeconds = durationSeconds
        self.coins = coins
        self.endReason = endReason
    }
}

extension Call {
    /// Coins due for `seconds` of talk at `ratePerMinute`: every started minute is billed in
    /// full (61 s is two minutes), and 0 s costs nothing.
    public static func cost(seconds: Int64, ratePerMinute: Int64) -> Int64 {
        (max(0, seconds) + 59) / 60 * ratePerMinute
    }

    /// The moment this call must change by itself, given the user's current `balance`:
    /// the ring deadline while RINGING; while ACCEPTED, the end of the last whole minute the
    /// balance pays for (`nil` for a free call); `nil` once final.
    public func deadline(balance: Int64) -> Int64? {
        switch status {
        case .ringing:
            return ringDeadline
        case .accepted:
            guard ratePerMinute > 0, let acceptedAt else { return nil }
            return acceptedAt + max(0, balance) / ratePerMinute * 60_000
        default:
            return nil
        }
    }
}
