import Contracts

/// A socket admitted to a namespace: who it is and what it sent in its CONNECT.
struct AuthorizedSocket: Sendable {
    /// The authenticated identity; `nil` for anonymous sockets.
    var identity: Identity?
    /// The CONNECT payload as services see it: as sent, or without `token` when the edge checked it.
    var auth: JSON?
}

/// A socket in a namespace, as its ``EdgeLoop`` indexes it: what instructions naming it reach,
/// and its allowance of events. A class: a broadcast reads one per socket, and a reference is
/// cheaper to take than a copy. Its connection finds it by sid too (`sockets`), so that an idle
/// connection holds no table of its own sockets.
final class SocketRecord {
    /// The connection it lives on.
    let driver: ConnectionDriver
    /// Its bus namespace: the client's namespace in its listener's app (``EdgeApps``).
    let namespace: String
    /// Who it is and its handshake data.
    let admitted: AuthorizedSocket
    /// Its allowance of events (`limits.eventsPerSecond`).
    var budget: EventBudget

    /// The record of a socket of `driver` admitted to `namespace` as `admitted`, with `budget`.
    init(driver: ConnectionDriver, namespace: String, admitted: AuthorizedSocket, budget: EventBudget) {
        self.driver = driver
        self.namespace = namespace
        self.admitted = admitted
        self.budget = budget
    }
}

/// A key of the client acks a service asked for: the socket and the ack id its emit was sent with.
struct ServerAckKey: Hashable {
    /// The Socket.IO socket id.
    let sid: String
    /// The ack id its session allocated.
    let ackID: Int64
}

/// Random ids like socket.io's: 20 characters of base64url.
enum SocketID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// A new random id.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt8(64)))] })
    }
}
