import ArgumentParser
import Contracts
import Crypto
import Foundation
import NIOPosix

/// Where the benchmarks' Socket.IO clients connect and how they open their connections.
struct SocketIOClientOptions: ParsableArguments {
    @Option(help: "The Socket.IO server (http:// or ws://).") var url = "http://127.0.0.1:3000"
    @Option(help: "The Engine.IO path.") var path = "/socket.io/"
    @Option(help: "Connections being opened at once.") var connecting = 64
    @Option(help: "Attempts per connection before it counts as failed.") var attempts = 5
    @Option(help: "Event-loop threads of the clients.") var threads = 1

    /// The host and port of `--url` (port 80 when it names none).
    var target: (host: String, port: Int) {
        let parsed = URL(string: url)
        return (parsed?.host ?? "127.0.0.1", parsed?.port ?? 80)
    }

    /// Refuses TLS (not spoken here) and counts that would open nothing.
    func validate() throws {
        guard let scheme = URL(string: url)?.scheme, ["http", "ws"].contains(scheme), URL(string: url)?.host != nil else {
            throw ValidationError("--url must be http://host:port or ws://host:port (no TLS)")
        }
        guard connecting > 0, attempts > 0, threads > 0 else {
            throw ValidationError("--connecting, --attempts and --threads must be positive")
        }
    }

    /// A dialer for these options on `group`.
    func dialer(group: MultiThreadedEventLoopGroup) -> EdgeBenchDialer {
        EdgeBenchDialer(group: group, host: target.host, port: target.port, path: path, attempts: attempts)
    }
}

/// The `auth` object of a CONNECT packet carrying an HS256 JWT of `claims` signed with `secret`,
/// as the edge's `jwt` auth checks it: `{"token":"<header>.<claims>.<signature>"}`.
func connectAuth(claims: JSON, secret: String) -> String {
    func base64URL(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    let signed = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + base64URL(Data(claims.jsonText.utf8))
    let signature = HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: Data(secret.utf8)))
    return #"{"token":"\#(signed).\#(base64URL(Data(signature)))"}"#
}
