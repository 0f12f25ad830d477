import CZeroMQ

/// The libzmq options every bus socket is given. `docs/bus-protocol.md` explains each choice.
public struct SocketOptions: Sendable, Equatable {
    /// Milliseconds a closing socket keeps trying to deliver queued messages.
    /// Default 1000: a service stopping on SIGTERM still sends its last replies, and never hangs.
    public var lingerMilliseconds: Int32 = 1000
    /// Messages queued for sending per peer before PUB/XPUB drop (libzmq default 1000).
    /// Default 1,000,000: a burst from a fast publisher is queued, not dropped.
    public var sendHighWaterMark: Int32 = 1_000_000
    /// Messages queued on receipt per peer before the sender's side holds or drops them.
    /// Default 1,000,000 (the trace tool sets 10,000 so that only it loses lines when slow).
    public var receiveHighWaterMark: Int32 = 1_000_000
    /// First reconnect delay after the peer (usually the `bus` process) goes away. Default 100 ms.
    public var reconnectIntervalMilliseconds: Int32 = 100
    /// Upper bound of the exponential reconnect back-off. Default 500 ms: a bus back after a long
    /// outage is found within half a second (a failed attempt on a local network costs little).
    public var reconnectIntervalMaxMilliseconds: Int32 = 500
    /// TCP keepalive, so a silently dead peer is noticed. Default on.
    public var tcpKeepAlive: Bool = true
    /// Seconds of idleness before the first keepalive probe. Default 30.
    public var tcpKeepAliveIdleSeconds: Int32 = 30
    /// Seconds between keepalive probes. Default 10.
    public var tcpKeepAliveIntervalSeconds: Int32 = 10
    /// Unanswered probes before the connection is dropped. Default 3.
    public var tcpKeepAliveCount: Int32 = 3
    /// CurveZMQ keys (§16). Default ``BusSecurity/plain``; a ``BusConnection`` sets it from its
    /// configuration's key source, the bus from its key folder.
    public var security: BusSecurity = .plain

    /// The documented defaults.
    public init() {}

    /// Applies every option to `socket`, before it binds or connects.
    public func apply(to socket: ZMQSocket) throws(ZMQError) {
        try socket.set(ZMQ_LINGER, lingerMilliseconds)
        try socket.set(ZMQ_SNDHWM, sendHighWaterMark)
        try socket.set(ZMQ_RCVHWM, receiveHighWaterMark)
        try socket.set(ZMQ_RECONNECT_IVL, reconnectIntervalMilliseconds)
        try socket.set(ZMQ_RECONNECT_IVL_MAX, reconnectIntervalMaxMilliseconds)
        try socket.set(ZMQ_TCP_KEEPALIVE, tcpKeepAlive ? 1 : 0)
        try socket.set(ZMQ_TCP_KEEPALIVE_IDLE, tcpKeepAliveIdleSeconds)
        try socket.set(ZMQ_TCP_KEEPALIVE_INTVL, tcpKeepAliveIntervalSeconds)
        try socket.set(ZMQ_TCP_KEEPALIVE_CNT, tcpKeepAliveCount)
        try security.apply(to: socket)
    }
}
