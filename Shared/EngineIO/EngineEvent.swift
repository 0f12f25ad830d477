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
    /// The head of a POST arrived. If the answer holds ``EngineAction/respond(_:)``, the POST is
    /// refused: discard its body and do not send ``postCompleted(body:)``.
    case postBegan(contentType: String?)
    /// The whole body of the accepted POST arrived.
    case postCompleted(body: [UInt8])
    /// A WebSocket data frame arrived on a channel.
    case frameReceived(WebSocketFrame, on: WebSocketChannel)
    /// A WebSocket upgrade request for this session was accepted at the HTTP level.
    case upgradeRequested
    /// A connection ended without the session asking for it.
    case channelClosed(EngineChannel)
    /// The upper layer sends messages.
    case send([EngineData])
    /// The server closes the session.
    case close
}
