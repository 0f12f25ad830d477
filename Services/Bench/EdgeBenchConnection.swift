import NIOCore
import NIOWebSocket

/// One Socket.IO client of `switchboard-bench edge`, on an upgraded WebSocket channel.
///
/// It speaks standard Engine.IO v4 / Socket.IO v5 only: it answers the open packet `0{…}`
/// with one CONNECT per namespace it joins (`40` for `/`, `40/user,{"token":…}` for a
/// namespace with auth), every ping `2` with a pong `3`, and succeeds `joined` once the server
/// confirmed every namespace (`40…`). Once ``start()``ed with a load, it keeps `inFlight` events
/// `42<id>["echo",…]` waiting for their ack `43<id>[…]`, sending the next at each ack. Without
/// a load it stays idle. Events the server emits (`42…`) go to `onEvent` when one is given,
/// and ``emit(_:)`` / ``emit(_:ack:)`` send an event of the caller's. Only its channel's event
/// loop touches it.
final class EdgeBenchConnection: ChannelInboundHandler {
    /// Called on the channel's event loop with every event packet the server sends: the
    /// Socket.IO part after `42`, e.g. `["newOnlineUser",{…}]` on `/` or
    /// `/user,["call:ringing",{…}]` on another namespace.
    typealias EventHandler = @Sendable (ArraySlice<UInt8>) -> Void

    /// Called on the channel's event loop with the arguments of the ack to an event sent by
    /// ``emit(_:ack:)``: the JSON array after `43<id>`.
    typealias AckHandler = @Sendable (ArraySlice<UInt8>) -> Void

    /// A namespace to join, with the `auth` object of its CONNECT packet (JSON text) if any.
    struct Join: Sendable {
        /// The namespace, e.g. `/` or `/user`.
        var namespace: String
        /// The CONNECT packet's payload, e.g. `{"token":"…"}`; `nil` sends none.
        var auth: String?

        /// The main namespace `/` without auth.
        static let root = Join(namespace: "/", auth: nil)

        /// The Engine.IO message that joins it: `40`, or `40/user,{…}`.
        var packet: String {
            "40" + (namespace == "/" ? "" : namespace + ",") + (auth ?? "")
        }
    }

    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let load: EdgeBenchLoad?
    private let onEvent: EventHandler?
    private let joins: [Join]
    private var unconfirmed: Int
    private let joined: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    /// Events waiting for their ack, by ack id: when each was sent and in which phase.
    private var waiting: [Int64: (sent: NIODeadline, phase: EdgeBenchLoad.Phase)] = [:]
    /// What to call with the ack of each event sent by ``emit(_:ack:)``, by ack id.
    private var ackHandlers: [Int64: AckHandler] = [:]
    private var nextAckID: Int64 = 0

    /// A client that sends `load`'s events once started (none when `nil`), hands the server's
    /// events to `onEvent`, and succeeds `joined` once it is in every namespace of `joins`.
    init(load: EdgeBenchLoad?, onEvent: EventHandler? = nil, joins: [Join] = [.root],
         joined: EventLoopPromise<Void>)
    {
        self.load = load
        self.onEvent = onEvent
        self.joins = joins
        unconfirmed = joins.count
        self.joined = joined
    }

    /// Keeps the context for writes started by ``start()`` and by acks.
    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Drops the context; the channel is gone.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Sends the first `inFlight` events of the load; called on the channel's event loop.
    func start() {
        guard let load else { return }
        for _ in 0..<load.inFlight { sendNext() }
    }

    /// Emits one event to `/` without an ack: `arguments` is the JSON array after `42`, e.g.
    /// `["addOnlineUser",{…}]`. Called on the channel's event loop.
    func emit(_ arguments: String) {
        write(.text, bytes: Array(("42" + arguments).utf8))
    }

    /// Emits one event to `/` asking for an ack: `arguments` is the JSON array after
    /// `42<id>`; `ack` gets the ack's arguments. Called on the channel's event loop.
    func emit(_ arguments: String, ack: @escaping AckHandler) {
        let ackID = nextAckID
        nextAckID += 1
        ackHandlers[ackID] = ack
        write(.text, bytes: Array(("42" + String(ackID) + arguments).utf8))
    }

    /// Reads one WebSocket frame: an Engine.IO packet when it is text.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            packet(Array(frame.unmaskedData.readableBytesView), context: context)
        case .ping:
            write(.pong, bytes: Array(frame.unmaskedData.readableBytesView))
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    /// Fails the join if it had not happened, and gives up the measured events still waiting.
    func channelInactive(context: ChannelHandlerContext) {
        joined.fail(EdgeBenchFailure(description: "the connection closed before joining its namespaces"))
        if let load {
            load.disconnected(unanswered: waiting.values.filter { $0.phase == .measured }.count)
            waiting.removeAll()
        }
        context.fireChannelInactive()
    }

    /// Closes the channel on any error (a protocol error, a reset).
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// One Engine.IO packet: open, ping, close, or a Socket.IO message.
    private func packet(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard let type = bytes.first else { return }
        switch type {
        case UInt8(ascii: "0"):
            for join in joins { write(.text, bytes: Array(join.packet.utf8)) }
        case UInt8(ascii: "2"):
            write(.text, bytes: Array("3".utf8))
        case UInt8(ascii: "1"):
            context.close(promise: nil)
        case UInt8(ascii: "4") where bytes.count > 1:
            socketPacket(bytes, context: context)
        default:
            break
        }
    }

    /// One Socket.IO packet (`bytes` starts with the Engine.IO `4`).
    private func socketPacket(_ bytes: [UInt8], context: ChannelHandlerContext) {
        switch bytes[1] {
        case UInt8(ascii: "0"):
            unconfirmed -= 1
            if unconfirmed == 0 { joined.succeed() }
        case UInt8(ascii: "2"):
            onEvent?(bytes[2...])
        case UInt8(ascii: "3"):
            acknowledged(bytes)
        case UInt8(ascii: "4"):
            joined.fail(EdgeBenchFailure(description: "CONNECT_ERROR: \(String(decoding: bytes.dropFirst(2), as: UTF8.self))"))
            context.close(promise: nil)
        case UInt8(ascii: "1"):
            context.close(promise: nil)
        default:
            break
        }
    }

    /// An ack `43<id>[…]`: hands it to the caller that asked for it, or records the round trip
    /// of a load event (an error when the first argument is `{"error": …}`) and sends the next.
    private func acknowledged(_ bytes: [UInt8]) {
        var index = 2
        var ackID: Int64 = 0
        while index < bytes.count, let digit = Self.digit(bytes[index]) {
            ackID = ackID * 10 + digit
            index += 1
        }
        guard index > 2 else { return }
        if let handler = ackHandlers.removeValue(forKey: ackID) { return handler(bytes[index...]) }
        guard let load, let event = waiting.removeValue(forKey: ackID) else { return }
        let elapsed = NIODeadline.now() - event.sent
        let error = bytes[index...].starts(with: Self.errorPrefix)
        load.answered(event.phase, microseconds: UInt64(max(0, elapsed.nanoseconds / 1000)), error: error)
        sendNext()
    }

    /// Sends one more `echo` event with an ack id, unless the load says stop.
    private func sendNext() {
        guard let load, let context, let phase = load.claim() else { return }
        let ackID = nextAckID
        nextAckID += 1
        var buffer = context.channel.allocator.buffer(capacity: load.eventTail.count + 24)
        buffer.writeStaticString("42")
        buffer.writeString(String(ackID))
        buffer.writeBytes(load.eventTail)
        waiting[ackID] = (.now(), phase)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)),
                              promise: nil)
    }

    /// Writes one masked frame (a client must mask) and flushes.
    private func write(_ opcode: WebSocketOpcode, bytes: [UInt8]) {
        guard let context else { return }
        let buffer = context.channel.allocator.buffer(bytes: bytes)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: buffer)),
                              promise: nil)
    }

    /// How an error ack's arguments begin.
    private static let errorPrefix = Array("[{\"error\"".utf8)

    /// The value of an ASCII digit, or `nil`.
    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }
}
