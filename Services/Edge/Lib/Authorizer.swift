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
        session = SessionAuthenticator(configuration: .init(secret: configuration.session.secret,
                                                            databasePath: configuration.session.database))
        sessionCookie = configuration.session.cookie
    }

    /// The identity and handshake data of an admitted socket, or the contract's refusal.
    func authenticate(_ request: Request) async -> Result<AuthorizedSocket, AuthFailure> {
        if let perMinute = request.settings.connectionsPerMinute, !allow(request, perMinute: perMinute) {
            return .failure(.rateLimited)
        }
        let token = request.auth?["token"]?.stringValue
        let identity: Result<Identity?, AuthFailure>
        switch request.settings.auth {
        case .none:
            identity = .success(nil)
        case .jwt:
            identity = await jwt.authenticate(token: token).map { $0 }
        case .session:
            identity = await session.authenticate(cookieHeader: request.cookie).map { $0 }
        case .optional:
            if let cookie = request.cookie, SessionAuthenticator.cookie(named: sessionCookie, in: cookie) != nil {
                identity = await session.authenticate(cookieHeader: cookie).map { $0 }
            } else if token != nil {
                identity = await jwt.authenticate(token: token).map { $0 }
            } else {
                identity = .success(nil)
            }
        }
        return identity.flatMap { identity in
            if let role = request.settings.role, identity?.role != role { return .failure(.accessDenied) }
            return .success(AuthorizedSocket(identity: identity, auth: Self.withoutSecrets(request.auth)))
        }
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
