import Contracts
import Foundation
import JWTKit

/// HS256 JWT authentication: the token from the CONNECT auth payload (`{"token": …}`), verified
/// with the namespace's secret; identity from the claims. `alg: none`, other algorithms and
/// other keys are refused.
struct JWTAuthenticator: Sendable {
    /// The secret and what the token must say.
    struct Configuration: Sendable {
        /// The HMAC secret; at least 32 bytes (jwt-kit refuses shorter HMAC keys in debug builds).
        var secret: String
        /// The role the token must carry (`role` claim), e.g. `USER`; `nil` accepts any role.
        var requiredRole: String?

        /// A configuration with `secret` and an optional required role.
        init(secret: String, requiredRole: String? = nil) {
            self.secret = secret
            self.requiredRole = requiredRole
        }
    }

    private let keys: JWTKeyCollection
    private let configuration: Configuration

    /// An authenticator holding the key of `configuration`.
    init(configuration: Configuration) async {
        self.configuration = configuration
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: configuration.secret), digestAlgorithm: .sha256)
    }

    /// Checks a token: missing → "Authentication token required", bad → "Invalid or expired
    /// token", wrong role → "Access denied".
    func authenticate(token: String?) async -> Result<Identity, AuthFailure> {
        guard let token, !token.isEmpty else { return .failure(.tokenRequired) }
        let claims: IdentityClaims
        do {
            claims = try await keys.verify(token, as: IdentityClaims.self)
        } catch {
            return .failure(.invalidToken)
        }
        if let required = configuration.requiredRole, claims.role != required {
            return .failure(.accessDenied)
        }
        return .success(Identity(id: claims.id, role: claims.role, name: claims.name))
    }

    /// Signs claims with this authenticator's secret (for tests and tools).
    func sign(id: String, role: String?, name: String?, expires: Date?) async throws -> String {
        try await keys.sign(IdentityClaims(id: id, role: role, name: name,
                                           exp: expires.map { ExpirationClaim(value: $0) }, nbf: nil))
    }
}

/// The claims an identity is read from: the user id from `id`, `userId`, `_id` or `sub`
/// (the first present; a string or a number), `role`, `name`; `exp` and `nbf` checked when present.
struct IdentityClaims: JWTPayload {
    var id: String
    var role: String?
    var name: String?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?

    private enum CodingKeys: String, CodingKey { case id, userId, _id, sub, role, name, exp, nbf }

    init(id: String, role: String?, name: String?, exp: ExpirationClaim?, nbf: NotBeforeClaim?) {
        self.id = id
        self.role = role
        self.name = name
        self.exp = exp
        self.nbf = nbf
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var found: String?
        for key in [CodingKeys.id, .userId, ._id, .sub] where found == nil {
            if let text = try? container.decode(String.self, forKey: key) {
                found = text
            } else if let number = try? container.decode(Int64.self, forKey: key) {
                found = String(number)
            }
        }
        guard let found, !found.isEmpty else {
            throw DecodingError.keyNotFound(CodingKeys.id, .init(codingPath: [], debugDescription: "no user id claim"))
        }
        id = found
        role = try container.decodeIfPresent(String.self, forKey: .role)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        exp = try container.decodeIfPresent(ExpirationClaim.self, forKey: .exp)
        nbf = try container.decodeIfPresent(NotBeforeClaim.self, forKey: .nbf)
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(role, forKey: .role)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(exp, forKey: .exp)
        try container.encodeIfPresent(nbf, forKey: .nbf)
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp?.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}
