import Contracts
import Foundation
import Synchronization

/// Decides who a CONNECT is, per the namespace's auth mode, and enforces the connection rate
/// limit. Used from any task; the rate limiter is behind a lock.
final class Authorizer: Sendable {
    /// One CONNECT to authenticate.
    struct Request: Sendable {
        var namespace: String
        var settings: EdgeConfiguration.Namespace
        var auth: JSON?
        var cookie: String?
        var address: String
        var listener: Int
    }

    private let jwt: JWTAuthenticator
    private let session: SessionAuthenticator
    private let sessionCookie: String
    /// One limiter per limit value (namespaces may differ).
    private let limiters = Mutex([Int: ConnectionRateLimiter]())

    init(configuration: EdgeConfiguration) async {
        jwt = await JWTAuthenticator(configuration: .init(secret: configuration.jwtSecret))
        var sessions = SessionAuthenticator.Configuration(secret: configuration.session.secret,
                                                          databasePath: configuration.session.database)
        sessions.cookieName = configuration.session.cookie
        session = SessionAuthenticator(configuration: sessions)
        sessionCookie = configuration.session.cookie
    }

    /// The identity and handshake data of an admitted socket, or the contract's refusal.
    func authenticate(_ request: Request) async -> Result<AuthorizedSocket, AuthFailure> {
        if let result = authenticateAtOnce(request) { return result }
        if let perMinute = request.settings.connectionsPerMinute, !allow(request, perMinute: perMinute) {
            return .failure(.rateLimited)
        }
        let identity: Result<Identity, AuthFailure>
        switch request.settings.auth {
        case .session:
            identity = await session.authenticate(cookieHeader: request.cookie)
        case .optional where sendsSessionCookie(request.cookie):
            identity = await session.authenticate(cookieHeader: request.cookie)
        default:
            // `jwt`, or `optional` with a token.
            identity = await jwt.authenticate(token: request.auth?["token"]?.stringValue)
        }
        return identity.flatMap { admit($0, request) }
    }

    /// The result of ``authenticate(_:)`` when no credential needs checking (mode `none`, or
    /// `optional` with neither a session cookie nor a token), so that the CONNECT is answered
    /// without leaving the event loop; `nil` when a credential must be checked.
    func authenticateAtOnce(_ request: Request) -> Result<AuthorizedSocket, AuthFailure>? {
        switch request.settings.auth {
        case .none:
            break
        case .optional where !sendsSessionCookie(request.cookie) && request.auth?["token"]?.stringValue == nil:
            break
        default:
            return nil
        }
        if let perMinute = request.settings.connectionsPerMinute, !allow(request, perMinute: perMinute) {
            return .failure(.rateLimited)
        }
        return admit(nil, request)
    }

    /// An identity the namespace's role admits, with the handshake data without secrets.
    private func admit(_ identity: Identity?, _ request: Request) -> Result<AuthorizedSocket, AuthFailure> {
        if let role = request.settings.role, identity?.role != role { return .failure(.accessDenied) }
        return .success(AuthorizedSocket(identity: identity, auth: Self.withoutSecrets(request.auth)))
    }

    /// `true` when the Cookie header holds the session cookie.
    private func sendsSessionCookie(_ cookie: String?) -> Bool {
        cookie.flatMap { SessionAuthenticator.cookie(named: sessionCookie, in: $0) } != nil
    }

    private func allow(_ request: Request, perMinute: Int) -> Bool {
        let now = Clock.millisecondsSinceEpoch()
        return limiters.withLock { limiters in
            var configuration = ConnectionRateLimiter.Configuration()
            configuration.limit = perMinute
            var limiter = limiters[perMinute] ?? ConnectionRateLimiter(configuration: configuration)
            if limiter.trackedKeys > 10_000 { limiter.prune(at: now) }
            let allowed = limiter.allow("\(request.listener) \(request.address) \(request.namespace)", at: now)
            limiters[perMinute] = limiter
            return allowed
        }
    }

    /// The CONNECT payload as services may see it: the token is the edge's business only.
    static func withoutSecrets(_ auth: JSON?) -> JSON? {
        guard case .object(var members)? = auth else { return auth }
        members["token"] = nil
        return .object(members)
    }
}

extension Authorizer {
    /// Who a plain HTTP request is, and how that was established.
    struct HTTPCaller: Sendable, Equatable {
        /// The identity; `nil` for an anonymous request.
        var identity: Identity?
        /// `session`, `jwt` or `none`: the event header's `auth`.
        var mode: EdgeConfiguration.AuthMode
    }

    /// Authenticates a plain HTTP request as an `optional` namespace does a CONNECT: the session
    /// cookie if it is sent, else `Authorization: Bearer <jwt>` if that header is sent, else
    /// anonymous. A credential that is sent must be valid (an `Authorization` header that is not
    /// a bearer token is not), or the request fails with ``AuthFailure/unauthorized``.
    func authenticateHTTP(cookie: String?, authorization: String?) async -> Result<HTTPCaller, AuthFailure> {
        if sendsSessionCookie(cookie) {
            return await session.authenticate(cookieHeader: cookie)
                .map { HTTPCaller(identity: $0, mode: .session) }
        }
        if let authorization {
            guard let token = Self.bearerToken(authorization) else { return .failure(.unauthorized) }
            return await jwt.authenticate(token: token)
                .map { HTTPCaller(identity: $0, mode: .jwt) }
                .mapError { _ in .unauthorized }
        }
        return .success(HTTPCaller(identity: nil, mode: .none))
    }

    /// `true` when the request carries a credential to check (authentication is then async).
    func sendsCredential(cookie: String?, authorization: String?) -> Bool {
        authorization != nil || sendsSessionCookie(cookie)
    }

    /// The token of `Bearer <token>` (the scheme compared case-insensitively), else `nil`.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
