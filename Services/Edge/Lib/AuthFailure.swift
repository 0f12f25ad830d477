import Contracts

/// Why a namespace connection was refused; `message` is what the client's `connect_error` shows.
struct AuthFailure: Error, Equatable, Sendable {
    /// The CONNECT_ERROR message, exact to the contract.
    var message: String
    /// Optional extra data for the CONNECT_ERROR packet.
    var data: JSON?

    /// A refusal with `message`.
    init(_ message: String, data: JSON? = nil) {
        self.message = message
        self.data = data
    }

    /// The CONNECT_ERROR payload: `{"message": …, "data": …}`.
    var payload: JSON {
        var object: [String: JSON] = ["message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    /// The telecaller contract's connection errors.
    static let tokenRequired = AuthFailure("Authentication token required")
    /// The token is malformed, badly signed, expired or not yet valid.
    static let invalidToken = AuthFailure("Invalid or expired token")
    /// The token's role is not the namespace's.
    static let accessDenied = AuthFailure("Access denied")
    /// The account is blocked (decided by a service).
    static let suspended = AuthFailure("Account suspended. Please contact support.")
    /// Too many connection attempts from one address.
    static let rateLimited = AuthFailure("Too many connection attempts. Please wait.")
    /// The Zizany contract's session refusal.
    static let unauthorized = AuthFailure("E_UNAUTHORIZED")
}
