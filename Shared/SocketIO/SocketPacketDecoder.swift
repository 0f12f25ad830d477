import Contracts
import EngineIO
import Foundation

/// Turns the Engine.IO messages of one connection into Socket.IO packets.
///
/// A text message is a whole packet, except a binary one (`5`/`6`), which waits for as many
/// binary messages as it announces. Complete packets keep their placeholders; the bytes are
/// in ``SocketPacket/attachments`` (see ``SocketPacket``).
public struct SocketPacketDecoder: Sendable {
    /// Decoder limits.
    public struct Configuration: Sendable, Hashable {
        /// The most attachments one packet may announce. Default 10, as socket.io-parser.
        public var maxAttachments: Int

        /// A configuration; the default is socket.io-parser's.
        public init(maxAttachments: Int = 10) {
            self.maxAttachments = maxAttachments
        }
    }

    /// Event names a client may not send.
    public static let reservedEventNames: Set<String> = [
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    ]

    /// The limits.
    public let configuration: Configuration
    /// The binary packet waiting for its attachments.
    private var waiting: Pending?

    /// A binary packet and the number of attachments it announced. Kept out of line (an
    /// indirect case, one word when absent): a connection holds one only between a binary
    /// packet and its last attachment, while the decoder lives in every connection.
    private indirect enum Pending: Sendable {
        case packet(SocketPacket, count: Int)
    }

    /// A decoder with no packet in progress.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Takes one Engine.IO message; returns a packet when one is complete, `nil` while
    /// attachments are still expected.
    public mutating func decode(_ message: EngineData) throws(SocketParseError) -> SocketPacket? {
        switch message {
        case .text(let text):
            guard waiting == nil else { throw .unexpectedText }
            let (packet, count) = try Self.parse(text, maxAttachments: configuration.maxAttachments)
            guard packet.kind.isBinary else { return packet }
            waiting = .packet(packet, count: count)
            return nil
        case .binary(let bytes):
            guard case .packet(var packet, let count)? = waiting else { throw .unexpectedBinary }
            packet.attachments.append(bytes)
            guard packet.attachments.count == count else {
                waiting = .packet(packet, count: count)
                return nil
            }
            waiting = nil
            guard Self.placeholdersAreValid(packet.data, count: count) else { throw .illegalAttachments }
            return packet
        }
    }

    /// Parses the text of a packet; returns it with the number of attachments it announces.
    static func parse(_ text: String, maxAttachments: Int) throws(SocketParseError) -> (SocketPacket, Int) {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let kind = digit(first).flatMap(SocketPacket.Kind.init(rawValue:)) else {
            throw .unknownType
        }
        var index = 1
        var count = 0
        if kind.isBinary {
            guard let dash = bytes[index...].firstIndex(of: UInt8(ascii: "-")),
                  let announced = number(bytes[index..<dash]), announced >= 1
            else { throw .illegalAttachments }
            guard announced <= maxAttachments else { throw .tooManyAttachments }
            count = Int(announced)
            index = dash + 1
        }
        var packet = SocketPacket(kind: kind)
        if index < bytes.count, bytes[index] == UInt8(ascii: "/") {
            let comma = bytes[index...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.count
            packet.namespace = String(decoding: bytes[index..<comma], as: UTF8.self)
            index = min(comma + 1, bytes.count)
        } else if index < bytes.count, isLetter(bytes[index]), bytes[index...].contains(UInt8(ascii: ",")) {
            throw .invalidNamespace
        }
        let digits = bytes[index...].prefix { digit($0) != nil }
        if !digits.isEmpty {
            guard let id = number(digits) else { throw .invalidAckID }
            packet.ackID = id
            index += digits.count
        }
        if index < bytes.count {
            guard let data = try? JSONCoding.decode(JSON.self, from: Data(bytes[index...])) else {
                throw .invalidJSON
            }
            packet.data = data
        }
        try validate(packet)
        return (packet, count)
    }

    /// Checks the data against what the packet type needs.
    private static func validate(_ packet: SocketPacket) throws(SocketParseError) {
        switch (packet.kind, packet.data) {
        // Like socket.io-parser, an event or ack without data, or an ack without an id, is
        // well-formed; the session ignores what it cannot use.
        case (.connect, nil), (.connect, .object?), (.disconnect, nil),
             (.connectError, .string?), (.connectError, .object?),
             (.ack, .array?), (.binaryAck, .array?), (.ack, nil), (.event, nil):
            return
        case (.event, .array(let elements)?), (.binaryEvent, .array(let elements)?):
            switch elements.first {
            case .string(let name)? where reservedEventNames.contains(name): throw .reservedEventName(name)
            case .string?, .int?, .double?: return
            default: throw .invalidPayload
            }
        default:
            throw .invalidPayload
        }
    }

    /// Whether every placeholder in `data` points at one of `count` attachments.
    static func placeholdersAreValid(_ data: JSON?, count: Int) -> Bool {
        switch data {
        case .array(let elements)?:
            return elements.allSatisfy { placeholdersAreValid($0, count: count) }
        case .object(let members)? where members["_placeholder"] == .bool(true):
            guard let num = members["num"]?.intValue else { return false }
            return num >= 0 && num < count
        case .object(let members)?:
            return members.values.allSatisfy { placeholdersAreValid($0, count: count) }
        default:
            return true
        }
    }

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// The decimal number spelled by `bytes`, or `nil` if empty, not all digits, or too large.
    private static func number(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.allSatisfy({ digit($0) != nil }) else { return nil }
        return Int64(String(decoding: bytes, as: UTF8.self))
    }
}
