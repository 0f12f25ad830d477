import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import Logging

/// LiveKit's video grant: what a token lets its bearer do.
struct LiveKitVideoGrant: Codable, Sendable, Equatable {
    /// The room the grant is for.
    var room: String?
    /// May join `room` (participant tokens).
    var roomJoin: Bool?
    /// May create and delete rooms (admin tokens for RoomService).
    var roomCreate: Bool?
    /// May administer `room`'s participants (admin tokens).
    var roomAdmin: Bool?
}

/// The claims of a LiveKit access token (`iss` = API key, `sub` = participant identity).
struct LiveKitClaims: JWTPayload, Equatable {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var name: String?
    var video: LiveKitVideoGrant
    var nbf: NotBeforeClaim
    var exp: ExpirationClaim

    func verify(using _: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf.verifyNotBefore()
    }
}

/// Signs LiveKit access tokens: HS256 with the API secret, using jwt-kit's claim types and
/// serializer. Signing is synchronous (HMAC-SHA256 over the serialized parts), because the call
/// book makes its tokens inside the write that accepts a call; jwt-kit's own `sign` is async.
public struct LiveKitTokens: Sendable {
    /// LiveKit API key (the tokens' `iss`).
    public var apiKey: String
    /// LiveKit API secret (the HS256 key).
    public var apiSecret: String
    /// Seconds a participant token is valid. Default 6 hours (LiveKit's own default).
    public var ttlSeconds: Int64 = 6 * 3600

    /// Tokens for `apiKey` signed with `apiSecret`.
    public init(apiKey: String, apiSecret: String) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
    }

    /// A participant token: `sub` = `identity`, `name`, `video {room, roomJoin: true}`, `nbf` = now,
    /// `exp` = now + ttl.
    public func participant(identity: String, name: String, room: String, now: Date = Date()) -> String {
        sign(LiveKitClaims(iss: IssuerClaim(value: apiKey), sub: SubjectClaim(value: identity), name: name,
                           video: LiveKitVideoGrant(room: room, roomJoin: true), nbf: NotBeforeClaim(value: whole(now)),
                           exp: ExpirationClaim(value: whole(now).addingTimeInterval(Double(ttlSeconds)))))
    }

    /// A RoomService token for `room`: `video {room, roomCreate: true, roomAdmin: true}`, valid
    /// for ten minutes (DeleteRoom needs `roomCreate`; `roomAdmin` as asked for room management).
    public func admin(room: String, now: Date = Date()) -> String {
        sign(LiveKitClaims(iss: IssuerClaim(value: apiKey), sub: SubjectClaim(value: apiKey), name: nil,
                           video: LiveKitVideoGrant(room: room, roomCreate: true, roomAdmin: true),
                           nbf: NotBeforeClaim(value: whole(now)),
                           exp: ExpirationClaim(value: whole(now).addingTimeInterval(600))))
    }

    /// The token maker the call book uses.
    public var maker: LiveKitTokenMaker {
        let tokens = self
        return { identity, name, room in tokens.participant(identity: identity, name: name, room: room) }
    }

    private func whole(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    private func sign(_ claims: LiveKitClaims) -> String {
        let serializer = DefaultJWTSerializer()
        var header = JWTHeader()
        header.alg = "HS256"
        header.typ = "JWT"
        // Encoding these fixed Codable values cannot fail.
        let headerPart = ((try? serializer.jsonEncoder.encode(header)) ?? Data()).base64URL
        let payloadPart = String(decoding: (try? serializer.serialize(claims, header: header)) ?? Data(), as: UTF8.self)
        let input = "\(headerPart).\(payloadPart)"
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(apiSecret.utf8)))
        return "\(input).\(Data(mac).base64URL)"
    }
}

extension Data {
    /// Base64url without padding (RFC 7515).
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Deletes LiveKit rooms through RoomService's Twirp API, or only logs when no server is set.
public struct LiveKitRooms: Sendable {
    /// `http(s)://host:port` of the LiveKit server; `nil` makes `delete` a logged no-op.
    public var serverURL: String?
    /// Signs the admin tokens.
    public var tokens: LiveKitTokens
    let logger: Logger

    /// Rooms on `serverURL` (a `ws://`/`wss://` URL is turned into `http://`/`https://`).
    public init(serverURL: String?, tokens: LiveKitTokens, logger: Logger) {
        self.serverURL = serverURL.map(Self.httpURL)
        self.tokens = tokens
        self.logger = logger
    }

    /// `ws://x` → `http://x`, `wss://x` → `https://x`, trailing `/` dropped.
    static func httpURL(_ url: String) -> String {
        var url = url
        if url.hasPrefix("ws://") { url = "http://" + url.dropFirst(5) }
        if url.hasPrefix("wss://") { url = "https://" + url.dropFirst(6) }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The DeleteRoom request for `room`: `POST {server}/twirp/livekit.RoomService/DeleteRoom`,
    /// JSON `{"room": room}`, `Authorization: Bearer <admin token>`.
    func request(room: String) -> URLRequest? {
        guard let serverURL, let url = URL(string: "\(serverURL)/twirp/livekit.RoomService/DeleteRoom") else { return nil }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("Bearer \(tokens.admin(room: room))", forHTTPHeaderField: "Authorization")
        request.httpBody = try? JSONSerialization.data(withJSONObject: ["room": room])
        request.timeoutInterval = 10
        return request
    }

    /// Deletes room `room`; failures are logged (a room nobody is in expires by itself in LiveKit).
    public func delete(room: String) async {
        guard let request = request(room: room) else {
            logger.info("LiveKit room not deleted: no LIVEKIT_URL set", metadata: ["room": "\(room)"])
            return
        }
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            if (200..<300).contains(status) {
                logger.info("LiveKit room deleted", metadata: ["room": "\(room)"])
            } else {
                logger.warning("LiveKit DeleteRoom failed", metadata: ["room": "\(room)", "status": "\(status)"])
            }
        } catch {
            logger.warning("LiveKit DeleteRoom failed: \(error)", metadata: ["room": "\(room)"])
        }
    }
}
