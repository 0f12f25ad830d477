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
    /// Attempts a minute per address on namespaces that set no limit of their own (0: none).
    private let defaultConnectionsPerMinute: Int
    /// One limiter per limit value (namespaces may differ).
    private let limiters = Mutex([Int: ConnectionRateLimiter]())

    init(configuration: EdgeConfiguration) async {
        jwt = await JWTAuthenticator(configuration: .init(secret: configuration.jwtSecret))
        var sessions = SessionAuthenticator.Configuration(secret: configuration.session.secret,
                                                          databasePath: configuration.session.database)
        sessions.cookieName = configuration.session.cookie
        session = SessionAuthenticator(configuration: sessions)
        sessionCookie = configuration.session.cookie
        defaultConnectionsPerMinute = configuration.limits.connectionsPerMinute
    }

    /// The identity and handshake data of an admitted socket, or the contract's refusal.
    func authenticate(_ request: Request) async -> Result<AuthorizedSocket, AuthFailure> {
        if let result = authenticateAtOnce(request) { return result }
        if let perMinute = connectionsPerMinute(request.settings), !allow(request, perMinute: perMinute) {
            return .failure(.rateLimited)
        }
        let identity: Result<Identity, AuthFailure>
        switch request.settings.auth {
        case .session:
            identity = await session.authenticate(cookieHeader: request.cookie)
        case .optional where sendsSessionCookie(request.cookie):
            identity = await session.authenticate(cookieHeader: request.cookie)
        default:
            // `jwt`, or `optional` with a token: the token is the edge's credential, not the service's.
            identity = await jwt.authenticate(token: request.auth?["token"]?.stringValue)
            return identity.flatMap { admit($0, request, auth: Self.withoutToken(request.auth)) }
        }
        return identity.flatMap { admit($0, request, auth: request.auth) }
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
        if let perMinute = connectionsPerMinute(request.settings), !allow(request, perMinute: perMinute) {
            return .failure(.rateLimited)
        }
        return admit(nil, request, auth: request.auth)
    }

    /// An identity the namespace's role admits, with the handshake data services see (`auth`).
    private func admit(_ identity: Identity?, _ request: Request, auth: JSON?) -> Result<AuthorizedSocket, AuthFailure> {
        if let role = request.settings.role, identity?.role != role { return .failure(.accessDenied) }
        return .success(AuthorizedSocket(identity: identity, auth: auth))
    }

    /// `true` when the Cookie header holds the session cookie.
    private func sendsSessionCookie(_ cookie: String?) -> Bool {
        cookie.flatMap { SessionAuthenticator.cookie(named: sessionCookie, in: $0) } != nil
    }

    /// The namespace's own limit, else the default; `nil` when there is none.
    private func connectionsPerMinute(_ settings: EdgeConfiguration.Namespace) -> Int? {
        let limit = settings.connectionsPerMinute ?? defaultConnectionsPerMinute
        return limit > 0 ? limit : nil
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

    /// The CONNECT payload of a socket whose `token` the edge checked: everything but the token.
    /// A payload the edge did not take a credential from goes to services as the client sent it,
    /// as `socket.handshake.auth` in Node.
    static func withoutToken(_ auth: JSON?) -> JSON? {
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
