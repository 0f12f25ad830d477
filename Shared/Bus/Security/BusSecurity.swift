import CZeroMQ
import Foundation

/// How a bus socket authenticates and encrypts (docs/bus-protocol.md §16): CurveZMQ with a key
/// pair per process, or nothing.
public enum BusSecurity: Sendable, Equatable {
    /// No CURVE: plain TCP. Only for a bus without keys (in-process tests, benchmarks).
    case plain
    /// A connecting process: its own key pair and the bus's public key.
    case client(keys: CurveKeyPair, serverKey: String)
    /// The bus: its key pair; each peer's key is then checked by the bus's ZAP handler.
    case server(keys: CurveKeyPair)

    /// The ZAP domain the bus's sockets name in their requests.
    static let zapDomain = "switchboard"

    /// Sets the CURVE options on `socket`, before it binds or connects.
    func apply(to socket: ZMQSocket) throws(ZMQError) {
        switch self {
        case .plain:
            return
        case .client(let keys, let serverKey):
            try socket.set(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8))
            try socket.set(ZMQ_CURVE_PUBLICKEY, bytes: Array(keys.publicKey.utf8))
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey.utf8))
        case .server(let keys):
            try socket.set(ZMQ_CURVE_SERVER, 1)
            try socket.set(ZMQ_CURVE_SECRETKEY, bytes: Array(keys.secretKey.utf8))
            try socket.set(ZMQ_ZAP_DOMAIN, bytes: Array(Self.zapDomain.utf8))
        }
    }
}

/// Where a connecting process finds its bus key (docs/bus-protocol.md §17).
public enum BusKeySource: Sendable, Equatable {
    /// From the environment: `BUS_PUBLIC_KEY` + `BUS_SECRET_KEY` + `BUS_SERVER_KEY` (Z85), else
    /// the key file `BUS_KEY`, else `<keys folder>/<name>.key` when it exists (`name`: the given
    /// one, else the executable's name), else no CURVE.
    case environment(name: String? = nil)
    /// This key file.
    case file(String)
    /// These settings.
    case given(BusSecurity)

    /// The security this source gives; throws on a key or key file that cannot be used.
    public func resolve(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(BusKeyError) -> BusSecurity
    {
        switch self {
        case .given(let security):
            return security
        case .file(let path):
            return try BusKeyFile.read(path: path).clientSecurity()
        case .environment(let name):
            if let secret = environment["BUS_SECRET_KEY"] {
                guard let publicKey = environment["BUS_PUBLIC_KEY"], let serverKey = environment["BUS_SERVER_KEY"] else {
                    throw .invalid("BUS_SECRET_KEY needs BUS_PUBLIC_KEY and BUS_SERVER_KEY")
                }
                try CurveKeyPair.validate(serverKey, what: "BUS_SERVER_KEY")
                return .client(keys: try CurveKeyPair(publicKey: publicKey, secretKey: secret), serverKey: serverKey)
            }
            if let path = environment["BUS_KEY"] {
                return try BusKeyFile.read(path: path).clientSecurity()
            }
            let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
            let path = "\(BusKeyFolder.path(environment))/\(name ?? executable).key"
            guard FileManager.default.fileExists(atPath: path) else { return .plain }
            return try BusKeyFile.read(path: path).clientSecurity()
        }
    }
}
