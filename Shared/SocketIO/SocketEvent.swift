import Contracts
import EngineIO

/// Something that happened to the Socket.IO side of a connection; fed to
/// ``SocketSession/handle(_:now:)``.
public enum SocketEvent: Sendable, Hashable {
    /// Engine.IO delivered a message.
    case received(EngineData)
    /// The timer asked for by ``SocketAction/scheduleTimer(_:)`` fired.
    case timerFired
    /// The upper layer admits the CONNECT it was asked to authorize, under socket id `sid`.
    case accept(namespace: String, sid: String)
    /// The upper layer refuses the CONNECT; `data` goes in the CONNECT_ERROR packet,
    /// e.g. `{"message":"Not authorized","data":{...}}`.
    case reject(namespace: String, data: JSON)
    /// The server emits an event (`arguments` starts with the name). With `expectsAck` an ack id
    /// is allocated and reported by ``SocketAction/awaitingAck(namespace:sid:ackID:)``; with
    /// `ackTimeout` (milliseconds) the wait is bounded.
    case emit(namespace: String, arguments: [JSON], attachments: [[UInt8]], expectsAck: Bool, ackTimeout: Int64?)
    /// The server answers a client's event that carried `ackID`; only the first answer is sent.
    case acknowledge(namespace: String, ackID: Int64, arguments: [JSON], attachments: [[UInt8]])
    /// The server disconnects the socket of `namespace`.
    case disconnect(namespace: String)
    /// The Engine.IO session ended.
    case engineClosed(EngineCloseReason)
}

/// Why a socket left its namespace or the connection was closed.
public enum SocketDisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// The client sent DISCONNECT.
    case clientNamespaceDisconnect
    /// The server disconnected the socket.
    case serverNamespaceDisconnect
    /// The client sent a malformed packet.
    case parseError(SocketParseError)
    /// No namespace was joined within `connectTimeout`.
    case connectTimeout
    /// The Engine.IO session ended.
    case transport(EngineCloseReason)

    /// The reference's reason text, e.g. `client namespace disconnect`.
    public var description: String {
        switch self {
        case .clientNamespaceDisconnect: "client namespace disconnect"
        case .serverNamespaceDisconnect: "server namespace disconnect"
        case .parseError: "parse error"
        case .connectTimeout: "connect timeout"
        case .transport(let reason): reason.rawValue
        }
    }
}

/// What the caller must do after an event, in order.
public enum SocketAction: Sendable, Hashable {
    /// Hand these messages to the Engine.IO session (``EngineEvent/send(_:)``).
    case send([EngineData])
    /// Decide on a CONNECT, then answer with ``SocketEvent/accept(namespace:sid:)`` or
    /// ``SocketEvent/reject(namespace:data:)``. `auth` is the CONNECT data, if any.
    case authorize(namespace: String, auth: JSON?)
    /// A socket joined `namespace` (its CONNECT answer is in the same batch).
    case connected(namespace: String, sid: String)
    /// The client emitted an event; answer with ``SocketEvent/acknowledge`` when `ackID` is set.
    case event(namespace: String, sid: String, arguments: [JSON], attachments: [[UInt8]], ackID: Int64?)
    /// A server emit now waits for the ack `ackID`.
    case awaitingAck(namespace: String, sid: String, ackID: Int64)
    /// The client answered the server emit `ackID`.
    case ackReceived(namespace: String, sid: String, ackID: Int64, arguments: [JSON], attachments: [[UInt8]])
    /// The client did not answer the server emit `ackID` in time; a late answer is dropped.
    case ackTimedOut(namespace: String, sid: String, ackID: Int64)
    /// The socket left `namespace`; its pending acks are dropped.
    case disconnected(namespace: String, sid: String, reason: SocketDisconnectReason)
    /// Close the Engine.IO session (``EngineEvent/close``).
    case closeConnection(SocketDisconnectReason)
    /// Arm the connection's single timer for this instant, replacing any earlier one.
    case scheduleTimer(EngineTime)
    /// Disarm the connection's timer.
    case cancelTimer
}
