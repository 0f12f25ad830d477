import Foundation

/// One process's key file: its key pair and, for every process but the bus, the bus's public
/// key. The text is three `name value` lines (`public`, `secret`, `server`) after `#` comments;
/// the file is written owner-only (0600).
public struct BusKeyFile: Sendable, Equatable {
    /// The process's own key pair.
    public var keys: CurveKeyPair
    /// The bus's public key (Z85); `nil` in the bus's own file.
    public var serverKey: String?

    /// A key file's content.
    public init(keys: CurveKeyPair, serverKey: String?) {
        self.keys = keys
        self.serverKey = serverKey
    }

    /// Reads the content of a key file; throws on a missing or malformed line.
    public init(text: String) throws(BusKeyError) {
        var values: [Substring: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == 2, ["public", "secret", "server"].contains(words[0]) else { continue }
            values[words[0]] = String(words[1])
        }
        guard let publicKey = values["public"], let secretKey = values["secret"] else {
            throw .invalid("a key file needs a `public` and a `secret` line")
        }
        keys = try CurveKeyPair(publicKey: publicKey, secretKey: secretKey)
        if let server = values["server"] {
            try CurveKeyPair.validate(server, what: "server key")
        }
        serverKey = values["server"]
    }

    /// Reads the key file at `path`.
    public static func read(path: String) throws(BusKeyError) -> BusKeyFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .file(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try BusKeyFile(text: text)
    }

    /// The file's text, with a comment naming `note` (e.g. the role).
    public func text(note: String) -> String {
        var text = "# Switchboard bus key: \(note). The secret line is private: keep this file 0600.\n"
        text += "public \(keys.publicKey)\nsecret \(keys.secretKey)\n"
        if let serverKey { text += "server \(serverKey)\n" }
        return text
    }

    /// The socket security of a process holding this file; throws for the bus's own file.
    public func clientSecurity() throws(BusKeyError) -> BusSecurity {
        guard let serverKey else { throw .invalid("this key file has no `server` line (the bus's public key)") }
        return .client(keys: keys, serverKey: serverKey)
    }
}

/// Writes files readable by their owner only.
enum PrivateFile {
    /// Creates `path` as a folder with mode 0700, or sets an existing one to 0700.
    static func makeFolder(_ path: String) throws(BusKeyError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw .file(path: path, reason: "cannot create the folder (\(error.localizedDescription))")
        }
    }

    /// Replaces `path` with `text`, atomically, mode 0600 from the start (never readable by others).
    static func write(_ text: String, to path: String) throws(BusKeyError) {
        let temporary = "\(path).\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw .file(path: path, reason: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .file(path: path, reason: "cannot be written")
        }
    }
}
