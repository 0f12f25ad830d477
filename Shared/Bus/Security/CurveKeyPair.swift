import CZeroMQ
import Foundation

/// A CurveZMQ key pair in Z85 text (40 characters each), as libzmq's `zmq_curve_keypair` makes
/// them. The secret half is never logged: ``description`` shows the public half only.
public struct CurveKeyPair: Sendable, Equatable, CustomStringConvertible {
    /// The public key, Z85 (40 characters). Safe to share.
    public let publicKey: String
    /// The secret key, Z85 (40 characters). Keep it in a 0600 file; never log it.
    public let secretKey: String

    /// A pair from its two Z85 halves; throws when either is not a Z85 key or the halves do
    /// not belong together.
    public init(publicKey: String, secretKey: String) throws(BusKeyError) {
        try Self.validate(publicKey, what: "public key")
        try Self.validate(secretKey, what: "secret key")
        guard Self.publicKey(of: secretKey) == publicKey else {
            throw .invalid("the public key does not belong to the secret key")
        }
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// A new random key pair (libzmq's `zmq_curve_keypair`).
    public static func generate() throws(BusKeyError) -> CurveKeyPair {
        var publicText = [CChar](repeating: 0, count: 41)
        var secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else {
            throw .invalid("zmq_curve_keypair failed: this libzmq has no CURVE support")
        }
        return try CurveKeyPair(publicKey: text(publicText), secretKey: text(secretText))
    }

    /// `public <key>` only.
    public var description: String { "CurveKeyPair(public: \(publicKey))" }

    /// Throws unless `text` is a 40-character Z85 key.
    public static func validate(_ text: String, what: String) throws(BusKeyError) {
        guard text.utf8.count == 40, decode(text) != nil else {
            throw .invalid("\(what) is not a 40-character Z85 CURVE key")
        }
    }

    /// The 32 bytes of a Z85 key; `nil` when `text` is not Z85.
    static func decode(_ text: String) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard text.utf8.count == 40, zmq_z85_decode(&bytes, text) != nil else { return nil }
        return bytes
    }

    /// The Z85 text of 32 key bytes; `nil` for any other length.
    static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&text, bytes, 32) != nil else { return nil }
        return Self.text(text)
    }

    private static func publicKey(of secret: String) -> String? {
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, secret) == 0 else { return nil }
        return text(publicText)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Why a key, a key file or the roles file could not be used.
public enum BusKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key or a file's content is not what it must be.
    case invalid(String)
    /// A file could not be read or written.
    case file(path: String, reason: String)

    /// A one-line explanation (never a secret key).
    public var description: String {
        switch self {
        case .invalid(let reason): "bad bus key: \(reason)"
        case .file(let path, let reason): "bus key file \(path): \(reason)"
        }
    }
}
