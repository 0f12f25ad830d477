/// One of the two WebSocket connections a session may have at once.
public enum WebSocketChannel: Sendable, Hashable {
    /// The WebSocket the session currently uses.
    case current
    /// A WebSocket opened to upgrade a polling session, not yet switched to.
    case probe
}

/// A connection of the session whose closing the caller reports.
public enum EngineChannel: Sendable, Hashable {
    /// The pending long-poll GET.
    case poll
    /// The POST in progress.
    case post
    /// One of the WebSockets.
    case webSocket(WebSocketChannel)
}

/// Something that happened to an Engine.IO session; fed to ``EngineSession/handle(_:now:)``.
public enum EngineEvent: Sendable, Hashable {
    /// The timer asked for by ``EngineAction/scheduleTimer(_:)`` fired.
    case timerFired
    /// A long-poll GET arrived for this session.
    case pollArrived
    /// The head of a POST arrived, with its `Content-Type` and declared `Content-Length`. If the
    /// answer holds ``EngineAction/respond(_:)``, the POST is refused: discard its body and do not
    /// send ``postCompleted(body:)``; a 413 (a declared length past `maxPayload`) is best answered
    /// without reading the body at all.
    case postBegan(contentType: String?, contentLength: Int? = nil)
    /// The whole body of the accepted POST arrived.
    case postCompleted(body: [UInt8])
    /// A WebSocket data frame arrived on a channel.
    case frameReceived(WebSocketFrame, on: WebSocketChannel)
    /// A WebSocket text frame that is not valid UTF-8 arrived on a channel (RFC 6455 §8.1): the
    /// WebSocket is closed with ``WebSocketCloseCode/invalidPayload``.
    case invalidTextFrame(on: WebSocketChannel)
    /// A WebSocket upgrade request for this session was accepted at the HTTP level.
    case upgradeRequested
    /// A connection ended without the session asking for it.
    case channelClosed(EngineChannel)
    /// The upper layer sends messages.
    case send([EngineData])
    /// The server closes the session.
    case close
}

/// The status code of a WebSocket close frame the session asks for (RFC 6455 §7.4.1).
public enum WebSocketCloseCode: UInt16, Sendable, Hashable {
    /// 1000: the connection did what it was for.
    case normalClosure = 1000
    /// 1007: a text frame was not UTF-8, as the reference's `ws` answers one.
    case invalidPayload = 1007
}
