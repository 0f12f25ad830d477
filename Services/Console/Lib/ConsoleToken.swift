import Foundation

/// The console's access token: made on the first start, kept in a file only its owner can read
/// (mode 0600), and asked of every request (`Authorization: Bearer`, the `token` cookie, or the
/// `token` query parameter of the first visit).
public struct ConsoleToken: Sendable, Equatable {
    /// The token's text: 32 random bytes as 64 lowercase hexadecimal digits.
    public let value: String

    /// `true` when this start made the token (it is printed once, then).
    public let isNew: Bool

    /// A token with this text.
    public init(value: String, isNew: Bool = false) {
        self.value = value
        self.isNew = isNew
    }

    /// Errors reading or making the token file.
    public enum LoadError: Error, CustomStringConvertible {
        /// The file exists but others may read or write it.
        case tooOpen(path: String, mode: Int)
        /// The file exists but holds no token.
        case empty(path: String)
        /// The file could not be written.
        case cannotWrite(path: String, reason: String)

        /// A sentence for the log.
        public var description: String {
            switch self {
            case .tooOpen(let path, let mode):
                return "\(path) has mode \(String(mode, radix: 8)); the console wants 600 (chmod 600 \(path))"
            case .empty(let path):
                return "\(path) holds no token; delete it to make a new one"
            case .cannotWrite(let path, let reason):
                return "cannot write the console token to \(path): \(reason)"
            }
        }
    }

    /// Reads the token at `path`, or makes one there (mode 0600, its folder made as needed).
    public static func loadOrCreate(path: String) throws -> ConsoleToken {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let attributes = try manager.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 == 0 else { throw LoadError.tooOpen(path: path, mode: mode) }
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw LoadError.empty(path: path) }
            return ConsoleToken(value: text)
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let token = ConsoleToken(value: randomHex(bytes: 32), isNew: true)
        let created = manager.createFile(atPath: path, contents: Data((token.value + "\n").utf8),
                                         attributes: [.posixPermissions: 0o600])
        guard created else { throw LoadError.cannotWrite(path: path, reason: "the file could not be created") }
        return token
    }

    /// Compares `candidate` with the token in time that does not depend on where they differ.
    public func accepts(_ candidate: String?) -> Bool {
        guard let candidate else { return false }
        let a = Array(value.utf8), b = Array(candidate.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
            .joined()
    }
}
