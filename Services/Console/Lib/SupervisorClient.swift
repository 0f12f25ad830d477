import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Restarts Procfile processes through supervisord's XML-RPC API, on the unix socket that
/// supervisord names in `SUPERVISOR_SERVER_URL` when it runs the console (`deploy/run`).
/// supervisord has no restart call: a restart is `stopProcess` (waiting) then `startProcess`.
public struct SupervisorClient: Sendable {
    /// A fault or a failure to reach supervisord.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, for the page and the log.
        public let description: String
    }

    /// The socket's path.
    public let socketPath: String
    /// The group of the Procfile processes (`switchboard`); process `chat` is `switchboard:chat`.
    public let group: String?

    /// A client for `url` (`unix:///path/supervisor.sock`); `nil` for any other kind of address,
    /// with the reason restarts are disabled.
    public static func make(url: String?, group: String?) -> Result<SupervisorClient, Failure> {
        guard let url else {
            return .failure(Failure(description: "not running under supervisord (start the system with deploy/run)"))
        }
        guard url.hasPrefix("unix://") else {
            return .failure(Failure(description: "supervisord's API is at \(url); the console speaks to a unix socket only"))
        }
        return .success(SupervisorClient(socketPath: String(url.dropFirst("unix://".count)), group: group))
    }

    /// The full name of process `name`.
    func fullName(_ name: String) -> String { group.map { "\($0):\(name)" } ?? name }

    /// Stops `name` (waiting until it has stopped; a process already stopped is fine) and starts it
    /// again (waiting until it runs).
    public func restart(_ name: String) async throws(Failure) {
        do {
            _ = try await call("supervisor.stopProcess", [.string(fullName(name)), .boolean(true)])
        } catch let failure where failure.description.contains("NOT_RUNNING") {
            // Already stopped: starting it is the restart.
        }
        _ = try await call("supervisor.startProcess", [.string(fullName(name)), .boolean(true)])
    }

    /// The names of the processes of ``group`` (all, without a group).
    public func processNames() async throws(Failure) -> [String] {
        let response = try await call("supervisor.getAllProcessInfo", [])
        return XMLRPC.structs(in: response).compactMap { members in
            guard let name = members["name"] else { return nil }
            if let group, members["group"] != group { return nil }
            return name
        }.sorted()
    }

    /// Calls `method` and returns the response text; a fault is thrown with its string.
    func call(_ method: String, _ parameters: [XMLRPC.Value]) async throws(Failure) -> String {
        let body = XMLRPC.request(method: method, parameters: parameters)
        let text: String
        do {
            text = try await post(body)
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "supervisord at \(socketPath): \(error)")
        }
        if let fault = XMLRPC.fault(in: text) { throw Failure(description: "supervisord: \(fault)") }
        return text
    }

    private func post(_ body: String) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/RPC2")
            let bytes = ByteBuffer(string: body)
            head.headers.add(name: "Host", value: "localhost")
            head.headers.add(name: "Content-Type", value: "text/xml")
            head.headers.add(name: "Content-Length", value: String(bytes.readableBytes))
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(bytes)))
            try await outbound.write(.end(nil))
            var status = HTTPResponseStatus.ok
            var received = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let responseHead): status = responseHead.status
                case .body(var chunk): received.writeBuffer(&chunk)
                case .end: break
                }
            }
            let text = String(buffer: received)
            guard status == .ok else { throw Failure(description: "supervisord answered \(status.code)") }
            return text
        }
    }
}
