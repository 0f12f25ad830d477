import CZeroMQ
import Foundation

/// An error reported by libzmq, with its errno and libzmq's own text.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    /// The errno value libzmq set.
    public let code: Int32
    /// What was being done, e.g. `bind tcp://127.0.0.1:5550`.
    public let operation: String

    /// The error libzmq reports for the current thread's last failed call.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    /// `operation: libzmq's message (errno)`.
    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))"
    }
}

/// A libzmq context. Thread-safe, as libzmq's contexts are.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A new context with libzmq's defaults (one I/O thread).
    public init() {
        guard let handle = zmq_ctx_new() else { fatalError("zmq_ctx_new failed: \(ZMQError.last("zmq_ctx_new"))") }
        self.handle = handle
    }

    /// Terminates the context; blocks until every socket of it is closed and lingered.
    public func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    /// Builds sockets with `body`; if it throws, closes every socket it opened through
    /// `open` and terminates the context, so a failed start leaks nothing.
    public func building<T>(_ body: (_ open: (ZMQSocketType) throws(ZMQError) -> ZMQSocket) throws(ZMQError) -> T)
        throws(ZMQError) -> T
    {
        var opened: [ZMQSocket] = []
        do {
            return try body { type throws(ZMQError) in
                let socket = try ZMQSocket(context: self, type: type)
                opened.append(socket)
                return socket
            }
        } catch {
            opened.forEach { socket in
                try? socket.set(ZMQ_LINGER, 0)
                socket.close()
            }
            terminate()
            throw error
        }
    }
}

/// The socket types the project uses.
public enum ZMQSocketType: Int32, Sendable {
    case pub, sub, xpub, xsub, push, pull, pair, dealer, router, rep

    var raw: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .xpub: ZMQ_XPUB
        case .xsub: ZMQ_XSUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .rep: ZMQ_REP
        }
    }
}

/// One libzmq socket. Not thread-safe: one thread uses it at a time (libzmq's rule).
public final class ZMQSocket {
    /// libzmq's socket handle, for `zmq_poll` and `zmq_proxy`.
    public let handle: UnsafeMutableRawPointer
    private var closed = false

    /// Opens a socket of `type` in `context`.
    public init(context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw .last("zmq_socket") }
        self.handle = handle
    }

    deinit { close() }

    /// Closes the socket; its linger option decides how long unsent messages are kept.
    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    /// Sets an integer option (`ZMQ_LINGER`, `ZMQ_SNDHWM`, …).
    public func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw .last("setsockopt \(option)")
        }
    }

    /// Sets a bytes option (`ZMQ_SUBSCRIBE`, `ZMQ_UNSUBSCRIBE`).
    public func set(_ option: Int32, bytes: [UInt8]) throws(ZMQError) {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, bytes.count) }
        guard result == 0 else { throw .last("setsockopt \(option)") }
    }

    /// Reads an integer option.
    public func get(_ option: Int32) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, option, &value, &size) == 0 else { throw .last("getsockopt \(option)") }
        return value
    }

    /// Binds to `endpoint`, e.g. `tcp://127.0.0.1:5550`.
    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw .last("bind \(endpoint)") }
    }

    /// Connects to `endpoint`; libzmq reconnects by itself when the peer goes away.
    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw .last("connect \(endpoint)") }
    }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to a port).
    public func lastEndpoint() throws(ZMQError) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw .last("getsockopt ZMQ_LAST_ENDPOINT")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Sends `frames` as one multipart message. Returns `false` when it would block
    /// (`dontWait`) — PUB never blocks: it drops at its high-water mark instead.
    @discardableResult
    public func send(_ frames: [Data], dontWait: Bool = true) throws(ZMQError) -> Bool {
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            // An interrupted call sends the same frame again, never the next one.
            while frame.withUnsafeBytes({ zmq_send(handle, $0.baseAddress, frame.count, flags) }) < 0 {
                let error = ZMQError.last("send")
                if error.code == EINTR { continue }
                if error.code == EAGAIN && index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one whole multipart message; `nil` when none is waiting (`dontWait`).
    public func receive(dontWait: Bool = true) throws(ZMQError) -> [Data]? {
        var frames: [Data] = []
        var message = zmq_msg_t()
        zmq_msg_init(&message)
        defer { zmq_msg_close(&message) }
        while true {
            if zmq_msg_recv(&message, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                let error = ZMQError.last("receive")
                if error.code == EAGAIN && frames.isEmpty { return nil }
                if error.code == EINTR { continue }
                throw error
            }
            frames.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
            if zmq_msg_more(&message) == 0 { return frames }
        }
    }
}

/// Waits until one of `sockets` is readable, or `timeoutMilliseconds` pass (-1: forever).
/// Returns, per socket, whether it is readable.
public func zmqPollReadable(_ sockets: [ZMQSocket], timeoutMilliseconds: Int) throws(ZMQError) -> [Bool] {
    var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
    while true {
        let result = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if result >= 0 { return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 } }
        let error = ZMQError.last("zmq_poll")
        if error.code != EINTR { throw error }
    }
}
