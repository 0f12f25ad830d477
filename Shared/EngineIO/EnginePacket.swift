/// The seven Engine.IO v4 packet types, numbered as on the wire.
public enum EnginePacketType: UInt8, Sendable, CaseIterable {
    /// Sent by the server once, with the handshake data.
    case open = 0
    /// Ends the session.
    case close = 1
    /// Heartbeat request (server to client), or `probe` during an upgrade (client to server).
    case ping = 2
    /// Heartbeat answer.
    case pong = 3
    /// Application data, text or binary.
    case message = 4
    /// Finishes the switch to the WebSocket transport.
    case upgrade = 5
    /// Does nothing; used to end a pending long poll.
    case noop = 6

    /// The character that starts the packet in text form.
    public var character: Character { Character(String(rawValue)) }

    /// The type named by `character`, or `nil` when it is not `0`…`6`.
    public init?(character: Character) {
        guard let digit = character.wholeNumberValue, character.isASCII,
              let type = EnginePacketType(rawValue: UInt8(digit))
        else { return nil }
        self = type
    }
}

/// What an Engine.IO packet carries: text, or (message packets only) raw bytes.
public enum EngineData: Sendable, Hashable {
    /// A UTF-8 string.
    case text(String)
    /// Raw bytes.
    case binary([UInt8])
}

/// One Engine.IO packet.
public struct EnginePacket: Sendable, Hashable {
    /// The packet type.
    public var type: EnginePacketType
    /// The data after the type, if any; binary data only occurs in message packets.
    public var data: EngineData?

    /// A packet of `type` carrying `data`.
    public init(_ type: EnginePacketType, _ data: EngineData? = nil) {
        self.type = type
        self.data = data
    }

    /// The open packet carrying the handshake JSON text.
    public static func open(_ json: String) -> EnginePacket { EnginePacket(.open, .text(json)) }
    /// The close packet.
    public static let close = EnginePacket(.close)
    /// A heartbeat ping without data.
    public static let ping = EnginePacket(.ping)
    /// A heartbeat pong without data.
    public static let pong = EnginePacket(.pong)
    /// The upgrade packet.
    public static let upgrade = EnginePacket(.upgrade)
    /// The noop packet.
    public static let noop = EnginePacket(.noop)
    /// The ping a client sends on a new WebSocket before upgrading (`2probe`).
    public static let probePing = EnginePacket(.ping, .text("probe"))
    /// The server's answer to the probe (`3probe`).
    public static let probePong = EnginePacket(.pong, .text("probe"))

    /// A message packet carrying `data`.
    public static func message(_ data: EngineData) -> EnginePacket { EnginePacket(.message, data) }
    /// A text message packet.
    public static func message(_ text: String) -> EnginePacket { EnginePacket(.message, .text(text)) }
}

/// A WebSocket data frame as the Engine.IO layer sees it.
public enum WebSocketFrame: Sendable, Hashable {
    /// A text frame.
    case text(String)
    /// A binary frame.
    case binary([UInt8])

    /// The payload size in bytes, compared against `maxPayload`.
    public var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}

/// Why an Engine.IO packet or payload could not be decoded.
public enum EngineParseError: Error, Sendable, Hashable {
    /// The packet text was empty.
    case emptyPacket
    /// The first character is not a packet type (`0`…`6`) nor `b` (base64 in polling).
    case unknownType(Character)
    /// The text after `b` is not valid base64.
    case invalidBase64
    /// A polling body was not valid UTF-8 text.
    case invalidUTF8
}
