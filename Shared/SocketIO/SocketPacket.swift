import Contracts
import EngineIO

/// One Socket.IO v5 packet.
///
/// Binary attachments stay apart from the JSON: `data` keeps the placeholders
/// `{"_placeholder":true,"num":N}` where the bytes belong, and `attachments[N]` holds them.
/// The JSON enum has no case for bytes, so this is how binary travels through the edge.
public struct SocketPacket: Sendable, Hashable {
    /// The seven packet types, numbered as on the wire.
    public enum Kind: Int, Sendable, CaseIterable {
        /// Joins a namespace (client), or confirms it with the sid (server).
        case connect = 0
        /// Leaves a namespace.
        case disconnect = 1
        /// An event: a JSON array whose first element is the name.
        case event = 2
        /// The answer to an event that carried an ack id.
        case ack = 3
        /// Refuses a CONNECT.
        case connectError = 4
        /// An event with binary attachments.
        case binaryEvent = 5
        /// An ack with binary attachments.
        case binaryAck = 6

        /// Whether attachments follow the packet.
        public var isBinary: Bool { self == .binaryEvent || self == .binaryAck }
    }

    /// The packet type.
    public var kind: Kind
    /// The namespace, `/` by default.
    public var namespace: String
    /// The ack id, if the sender wants an answer (events) or answers (acks).
    public var ackID: Int64?
    /// The JSON data, if any.
    public var data: JSON?
    /// The binary attachments of a binary packet, in placeholder order.
    public var attachments: [[UInt8]]

    /// A packet with the given parts.
    public init(kind: Kind, namespace: String = "/", ackID: Int64? = nil, data: JSON? = nil,
                attachments: [[UInt8]] = []) {
        self.kind = kind
        self.namespace = namespace
        self.ackID = ackID
        self.data = data
        self.attachments = attachments
    }

    /// The server's answer to a successful CONNECT: `0{"sid":"..."}`.
    public static func connect(namespace: String = "/", sid: String) -> SocketPacket {
        SocketPacket(kind: .connect, namespace: namespace, data: ["sid": .string(sid)])
    }

    /// A DISCONNECT for `namespace`.
    public static func disconnect(namespace: String = "/") -> SocketPacket {
        SocketPacket(kind: .disconnect, namespace: namespace)
    }

    /// A CONNECT_ERROR carrying `data`, e.g. `{"message":"Invalid namespace"}`.
    public static func connectError(namespace: String = "/", data: JSON) -> SocketPacket {
        SocketPacket(kind: .connectError, namespace: namespace, data: data)
    }

    /// An event whose array is `arguments` (name first); binary when there are attachments.
    public static func event(namespace: String = "/", _ arguments: [JSON], ackID: Int64? = nil,
                             attachments: [[UInt8]] = []) -> SocketPacket {
        SocketPacket(kind: attachments.isEmpty ? .event : .binaryEvent, namespace: namespace, ackID: ackID,
                     data: .array(arguments), attachments: attachments)
    }

    /// An ack for `ackID` carrying `arguments`; binary when there are attachments.
    public static func ack(namespace: String = "/", _ arguments: [JSON], ackID: Int64,
                           attachments: [[UInt8]] = []) -> SocketPacket {
        SocketPacket(kind: attachments.isEmpty ? .ack : .binaryAck, namespace: namespace, ackID: ackID,
                     data: .array(arguments), attachments: attachments)
    }

    /// The placeholder standing for attachment `index` in the JSON data.
    public static func placeholder(_ index: Int) -> JSON {
        ["_placeholder": true, "num": .int(Int64(index))]
    }

    /// The elements of the data array of an event or ack, or `[]`.
    public var arguments: [JSON] { data?.arrayValue ?? [] }

    /// The text form that starts the packet on the wire, e.g. `451-/admin,7["x",{...}]`.
    public var headerText: String {
        var text = String(kind.rawValue)
        if kind.isBinary { text += "\(attachments.count)-" }
        if namespace != "/" { text += namespace + "," }
        if let ackID { text += String(ackID) }
        if let data { text += data.jsonText }
        return text
    }

    /// The Engine.IO messages carrying the packet: the text, then each attachment as binary.
    public var encoded: [EngineData] {
        [.text(headerText)] + attachments.map(EngineData.binary)
    }
}
