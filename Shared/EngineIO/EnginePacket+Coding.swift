import Foundation

extension EnginePacket {
    /// The record separator (0x1E) between packets of a polling payload.
    public static let payloadSeparator: Character = "\u{1E}"

    /// Decodes one packet from its text form: a type digit and the data, or `b` and base64 bytes.
    public init(text: String) throws(EngineParseError) {
        guard let first = text.first else { throw .emptyPacket }
        let rest = String(text.dropFirst())
        if first == "b" {
            guard let bytes = Data(base64Encoded: rest) else { throw .invalidBase64 }
            self.init(.message, .binary([UInt8](bytes)))
            return
        }
        guard let type = EnginePacketType(character: first) else { throw .unknownType(first) }
        self.init(type, rest.isEmpty ? nil : .text(rest))
    }

    /// Decodes one packet from a WebSocket frame: a binary frame is a binary message.
    public init(frame: WebSocketFrame) throws(EngineParseError) {
        switch frame {
        case .text(let text): try self.init(text: text)
        case .binary(let bytes): self.init(.message, .binary(bytes))
        }
    }

    /// The text form used in polling payloads; binary data becomes `b` and base64.
    public var text: String {
        switch data {
        case nil: String(type.character)
        case .text(let text): String(type.character) + text
        case .binary(let bytes): "b" + Data(bytes).base64EncodedString()
        }
    }

    /// The WebSocket frame carrying this packet: binary data goes raw in a binary frame.
    public var frame: WebSocketFrame {
        if case .binary(let bytes) = data { return .binary(bytes) }
        return .text(text)
    }

    /// Joins packets into one polling payload, separated by the record separator.
    public static func encodePayload(_ packets: [EnginePacket]) -> String {
        packets.map(\.text).joined(separator: String(payloadSeparator))
    }

    /// Splits a polling payload into packets; the first undecodable packet fails the whole payload.
    public static func decodePayload(_ payload: String) throws(EngineParseError) -> [EnginePacket] {
        var packets: [EnginePacket] = []
        for part in payload.split(separator: payloadSeparator, omittingEmptySubsequences: false) {
            packets.append(try EnginePacket(text: String(part)))
        }
        return packets
    }

    /// Decodes a polling request body, which must be UTF-8 text.
    public static func decodePayload(bytes: [UInt8]) throws(EngineParseError) -> [EnginePacket] {
        guard let payload = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8 }
        return try decodePayload(payload)
    }
}
