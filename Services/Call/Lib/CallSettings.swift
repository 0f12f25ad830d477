import Foundation

/// The call service's settings from the environment; every variable is optional.
///
/// | variable | meaning | default |
/// | --- | --- | --- |
/// | `LIVEKIT_URL` | LiveKit server URL sent to clients; when set, rooms are also deleted there | `ws://localhost:7880` (no deletion) |
/// | `LIVEKIT_API_KEY` | API key, the tokens' `iss` | `devkey` |
/// | `LIVEKIT_API_SECRET` | API secret, the HS256 key (≥ 32 bytes) | a development value |
/// | `CALL_RING_TIMEOUT_MS` | milliseconds a call rings before it is MISSED | `30000` |
/// | `CALL_REBUILD_TIMEOUT_MS` | how long start-up waits for the edges' snapshots | `3000` |
public struct CallSettings: Sendable {
    /// The development secret (LiveKit's `--dev` mode uses `devkey: secret`, too short for HS256
    /// advice; set `LIVEKIT_API_SECRET` in production).
    public static let developmentSecret = "switchboard-development-livekit-secret-0123456789"

    /// The book's tunables (ring timeout, LiveKit URL sent to clients).
    public var book = CallBook.Configuration()
    /// LiveKit API key.
    public var liveKitAPIKey = "devkey"
    /// LiveKit API secret.
    public var liveKitAPISecret = CallSettings.developmentSecret
    /// Where DeleteRoom requests go; `nil` (no `LIVEKIT_URL`) only logs.
    public var liveKitServer: String?
    /// How long start-up waits for every edge's snapshot.
    public var rebuildTimeout: Duration = .seconds(3)

    /// The defaults.
    public init() {}

    /// The settings from `environment`.
    public init(environment: [String: String]) {
        if let url = environment["LIVEKIT_URL"], !url.isEmpty {
            book.liveKitURL = url
            liveKitServer = url
        }
        liveKitAPIKey = environment["LIVEKIT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? liveKitAPIKey
        liveKitAPISecret = environment["LIVEKIT_API_SECRET"].flatMap { $0.isEmpty ? nil : $0 } ?? liveKitAPISecret
        if let ring = environment["CALL_RING_TIMEOUT_MS"].flatMap(Int64.init), ring > 0 { book.ringTimeoutMs = ring }
        if let rebuild = environment["CALL_REBUILD_TIMEOUT_MS"].flatMap(Int64.init), rebuild >= 0 {
            rebuildTimeout = .milliseconds(rebuild)
        }
    }

    /// The token signer for these settings.
    public var tokens: LiveKitTokens { LiveKitTokens(apiKey: liveKitAPIKey, apiSecret: liveKitAPISecret) }
}
