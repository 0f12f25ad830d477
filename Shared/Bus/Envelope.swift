import Contracts
import Foundation

/// One bus message: topic, header, body and binary attachments (ARCHITECTURE §2, frames 0…3+).
///
/// `encode()` and `decode(_:)` are exact inverses: `try Envelope.decode(e.encode()) == e`.
public struct Envelope: Sendable, Equatable {
    /// Frame 0: the topic, matched by prefix by subscribers.
    public var topic: String
    /// Frame 1: the header.
    public var header: BusHeader
    /// Frame 2: the body, UTF-8 JSON (event arguments, instructions, a hello, a life fact).
    public var body: Data
    /// Frames 3…: binary attachments, in the order of their placeholders in the body.
    public var attachments: [Data]

    /// An envelope with a raw JSON body.
    public init(topic: String, header: BusHeader, body: Data, attachments: [Data] = []) {
        self.topic = topic
        self.header = header
        self.body = body
        self.attachments = attachments
    }

    /// An envelope whose body is `value` encoded as JSON.
    public init<Body: Encodable>(topic: String, header: BusHeader, encoding value: Body,
                                 attachments: [Data] = []) throws(EnvelopeError)
    {
        do {
            self.init(topic: topic, header: header, body: try JSONCoding.encode(value), attachments: attachments)
        } catch {
            throw .badBody("cannot encode \(Body.self): \(error)")
        }
    }

    /// A request for snapshots (``Contracts/Resync``) from process `instance`, asking `edges`
    /// (every edge when empty): an `event` named `resync` on topic `edge`.
    public static func resync(asking edges: [String], from instance: String) -> Envelope {
        var header = BusHeader(type: .event, from: instance)
        header.event = Resync.event
        let body = JSON.array(edges.map(JSON.string)).jsonText
        return Envelope(topic: Topic.edge, header: header, body: Data(body.utf8))
    }

    /// The frames of this message, ready for `zmq_send`.
    public func encode() -> [Data] {
        // The hand-written header coder writes exactly what `JSONCoding.encode(header)` would.
        var frames = [Data(topic.utf8), header.wireData(), body]
        if !attachments.isEmpty { frames += attachments }
        return frames
    }

    /// Reads the frames of one received message; a malformed topic or header is a typed error.
    /// The body is kept as it came: ``decodeBody(as:)`` reads it.
    public static func decode(_ frames: [Data]) throws(EnvelopeError) -> Envelope {
        guard frames.count >= 3 else { throw .missingFrames(count: frames.count) }
        guard let topic = String(data: frames[0], encoding: .utf8), !topic.isEmpty else { throw .badTopic }
        let header = try frames[1].withUnsafeBytes { bytes in
            Result { () throws(EnvelopeError) in try Self.header(bytes) }
        }.get()
        // The body is not looked at here: its consumer parses it once, as the type it expects,
        // and a body that is not that (or not JSON at all) is `badBody` from `decodeBody`.
        return Envelope(topic: topic, header: header, body: frames[2],
                        attachments: frames.count > 3 ? Array(frames[3...]) : [])
    }

    /// Reads a header from its bytes (frame 1, or an entry of a bundle) with the checks of
    /// bus-protocol §14.
    static func header(_ bytes: UnsafeRawBufferPointer) throws(EnvelopeError) -> BusHeader {
        let header: BusHeader
        do {
            // The hand-written reader takes the plain headers every Swift and Python process
            // writes; anything else goes through `JSONDecoder`, with its precise errors.
            header = try BusHeader(wire: bytes) ?? JSONCoding.decode(BusHeader.self, from: Data(bytes))
        } catch {
            if let probe = try? JSONCoding.decode(VersionProbe.self, from: Data(bytes)), let version = probe.v,
               version != BusHeader.protocolVersion
            {
                throw .unsupportedVersion(version)
            }
            throw .badHeader(String(describing: error))
        }
        guard header.v == BusHeader.protocolVersion else { throw .unsupportedVersion(header.v) }
        return header
    }

    /// Decodes the body as `type`.
    public func decodeBody<Body: Decodable>(as type: Body.Type) throws(EnvelopeError) -> Body {
        do {
            return try JSONCoding.decode(type, from: body)
        } catch {
            throw .badBody("not a \(Body.self): \(error)")
        }
    }

    private struct VersionProbe: Decodable { var v: Int? }
}

/// Why a received message could not be read. Each is logged once and the message dropped.
public enum EnvelopeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than three frames (topic, header, body), and not a bundle's two.
    case missingFrames(count: Int)
    /// A two-frame message (a bundle) whose frame 1 does not split into whole entries.
    case badBundle
    /// Frame 0 is empty or not UTF-8.
    case badTopic
    /// Frame 1 is not a JSON header object with the required fields.
    case badHeader(String)
    /// Frame 1 names a protocol version this code does not speak.
    case unsupportedVersion(Int)
    /// Frame 2 is not JSON, or not the JSON the message type requires.
    case badBody(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .missingFrames(let count): "missing frames: got \(count), need at least 3 (topic, header, body)"
        case .badBundle: "bad bundle: frame 1 of a two-frame message must split into whole entries"
        case .badTopic: "bad topic: frame 0 must be non-empty UTF-8"
        case .badHeader(let detail): "bad header: \(detail)"
        case .unsupportedVersion(let version): "unsupported protocol version \(version) (this side speaks \(BusHeader.protocolVersion))"
        case .badBody(let detail): "bad body: \(detail)"
        }
    }
}
