import Contracts

/// One authenticated socket of `/user` or `/telecaller`, as the edge reports it.
public struct CallSocket: Hashable, Sendable {
    /// Namespace, `/user` or `/telecaller`.
    public var ns: String
    /// Socket.IO socket id.
    public var sid: String
    /// The identity from authentication (the bus header's `user`), never from a payload.
    public var identity: Identity

    /// A socket with every field given.
    public init(ns: String, sid: String, identity: Identity) {
        self.ns = ns
        self.sid = sid
        self.identity = identity
    }
}

/// Everything the call service reacts to, besides the clock (see `CallBook.expire(now:)`).
public enum CallEvent: Sendable, Equatable {
    /// Life fact `connected` on `/user` or `/telecaller`.
    case connected(CallSocket)
    /// Life fact `disconnected` on `/user` or `/telecaller`.
    case disconnected(CallSocket)
    /// A client event (`CallBook.routes`) with its first argument, if any.
    case client(CallSocket, event: String, payload: JSON?)
}

/// Something the runtime must do besides sending instructions.
public enum CallEffect: Sendable, Equatable {
    /// Upsert this call record (after creation and after every change of status).
    case store(Call)
    /// Subtract `coins` from the user's stored balance (never below zero: already clamped).
    case debit(userId: String, coins: Int64)
    /// Delete the LiveKit room named after this call id (the call is COMPLETED).
    case deleteRoom(String)
    /// Store whether the telecaller is available (`false`: set unavailable), so that a restart
    /// keeps it.
    case availability(telecallerId: String, available: Bool)
}

/// The answer to an event or a timer: instructions for the edges, in order, effects, and why
/// a client event was refused, if it was.
public struct CallOutcome: Sendable, Equatable {
    /// Instructions, carried out by the edges in list order.
    public var instructions: [Instruction]
    /// Effects for the runtime, in order.
    public var effects: [CallEffect]
    /// The refusal of the client event (its `call:error` is among the instructions): the
    /// runtime acknowledges the event with it when the client asked for an acknowledgement.
    public var refusal: CallRefusal?

    /// An outcome with the given parts.
    public init(instructions: [Instruction] = [], effects: [CallEffect] = [], refusal: CallRefusal? = nil) {
        self.instructions = instructions
        self.effects = effects
        self.refusal = refusal
    }

    /// Appends `other`'s instructions and effects after this outcome's; keeps a refusal of either.
    public mutating func append(_ other: CallOutcome) {
        instructions += other.instructions
        effects += other.effects
        refusal = refusal ?? other.refusal
    }
}

/// Why a client event was refused; `message` is the `call:error` text sent to the sender.
public enum CallRefusal: Sendable, Equatable {
    /// Payload missing, not an object, or a field missing / of the wrong type.
    case invalidRequest
    /// `callType` is a string other than `AUDIO` or `VIDEO`.
    case invalidCallType
    /// Rate limited (used for `call:initiate`, `call:cancel` and `call:end` alike).
    case tooManyAttempts
    /// The user is missing, not ACTIVE, or cannot pay one minute of the telecaller's rate.
    case accountUnavailable
    /// The telecaller is missing, not approved or blocked.
    case telecallerGone
    /// The telecaller set themselves unavailable.
    case telecallerOffline(name: String)
    /// The telecaller has a RINGING or ACCEPTED call.
    case telecallerBusy(name: String)
    /// The telecaller has no connected socket.
    case telecallerUnavailable(name: String)
    /// The user already has a RINGING or ACCEPTED call.
    case alreadyInCall
    /// Unknown call id, or the sender is not this side's party of the call.
    case callNotFound
    /// `call:accept`, `call:reject` or `call:cancel` on a call that is no longer RINGING.
    case notRinging
    /// `call:end` on a call that is not ACCEPTED.
    case notInProgress

    /// The exact `call:error` message.
    public var message: String {
        switch self {
        case .invalidRequest: "Invalid call request"
        case .invalidCallType: "Invalid call type"
        case .tooManyAttempts: "Too many call attempts. Please wait a moment."
        case .accountUnavailable: "Your account is not available. Please contact support."
        case .telecallerGone: "This person is no longer available for calls."
        case .telecallerOffline(let name): "\(name) is currently offline. Please try again later."
        case .telecallerBusy(let name): "\(name) is busy on another call. Please try again later."
        case .telecallerUnavailable(let name): "\(name) is currently unavailable. Please try again later."
        case .alreadyInCall: "You already have an active call."
        case .callNotFound: "Call not found."
        case .notRinging: "This call is no longer ringing."
        case .notInProgress: "This call is not in progress."
        }
    }
}

/// The call service's answer to the edge's `connect` event for `/user` or `/telecaller`.
public enum ConnectionDecision: Sendable, Equatable {
    /// Let the connection through.
    case accept
    /// Refuse it with this CONNECT_ERROR `message`.
    case reject(String)

    /// The instruction carrying this decision: `accept` with `{"accountStatus":"ACTIVE"}`,
    /// or `reject` with `{"message": …}`.
    public var instruction: Instruction {
        switch self {
        case .accept: .accept(Decision(data: ["accountStatus": "ACTIVE"]))
        case .reject(let message): .reject(Decision(data: ["message": .string(message)]))
        }
    }
}
