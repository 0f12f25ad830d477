import Contracts
import EngineIO
import NIOCore
import SocketIO

/// Answers one HTTP request (a poll or a POST) of a connection; called once.
typealias Responder = (EngineHTTPResponse) -> Void

/// One Engine.IO connection and its Socket.IO side, as the hub keeps it. Only the hub's event
/// loop touches it.
final class Connection {
    /// The Engine.IO session id.
    let sid: String
    /// Which listener it came in on (index into the configuration's listeners).
    let listener: Int
    /// The client's address, for rate limits and the bus header.
    let address: String
    /// The handshake's Cookie header, for session authentication.
    let cookie: String?
    /// The Engine.IO state machine.
    var engine: EngineSession
    /// The Socket.IO state machine.
    var socket: SocketSession
    /// The pending long-poll GET, with the identity of the HTTP handler holding it.
    var poll: (owner: ObjectIdentifier, respond: Responder)?
    /// The WebSocket in use, and one being probed for an upgrade.
    var currentWebSocket: Channel?
    var probeWebSocket: Channel?
    /// The timers each state machine asked for.
    var engineTimer: Scheduled<Void>?
    var socketTimer: Scheduled<Void>?
    /// Identities established for namespaces while their CONNECT is being decided.
    var authorizing: [String: AuthorizedSocket] = [:]
    /// When the connection opened, for logs.
    let opened: NIODeadline

    init(sid: String, listener: Int, address: String, cookie: String?, engine: EngineSession,
         socket: SocketSession, opened: NIODeadline)
    {
        self.sid = sid
        self.listener = listener
        self.address = address
        self.cookie = cookie
        self.engine = engine
        self.socket = socket
        self.opened = opened
    }

    /// The transport name for metrics and life facts.
    var transportName: String { engine.transport.rawValue }
}

/// A socket admitted to a namespace: who it is and what it sent in its CONNECT.
struct AuthorizedSocket {
    /// The authenticated identity; `nil` for anonymous sockets.
    var identity: Identity?
    /// The CONNECT auth payload without secrets (`token` removed).
    var auth: JSON?
}

/// A socket in a namespace, as the hub indexes it.
struct SocketRecord {
    /// Its Engine.IO connection.
    let connection: Connection
    /// Its namespace.
    let namespace: String
    /// Who it is and its handshake data.
    let admitted: AuthorizedSocket
}

/// Random ids like socket.io's: 20 characters of base64url.
enum SocketID {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// A new random id.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt8(64)))] })
    }
}
