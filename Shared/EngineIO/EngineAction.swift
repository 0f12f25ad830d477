/// Why a session ended; the texts are the reference server's close reasons.
public enum EngineCloseReason: String, Sendable, Hashable, CaseIterable {
    /// No pong within `pingTimeout` of a ping.
    case pingTimeout = "ping timeout"
    /// The client closed the transport or sent a close packet.
    case transportClose = "transport close"
    /// The transport misbehaved: overlapping requests, a ping from the client, an early hang-up.
    case transportError = "transport error"
    /// The server closed the session.
    case forcedClose = "forced close"
    /// The client sent an undecodable packet.
    case parseError = "parse error"
}

/// What the caller must do after an event, in order.
public enum EngineAction: Sendable, Hashable {
    /// Answer the pending long-poll GET with this response; no GET is pending afterwards.
    case respondToPoll(EngineHTTPResponse)
    /// Answer the request that came with the event (a POST, or a refused GET) with this response.
    case respond(EngineHTTPResponse)
    /// Write these frames, in order, to the WebSocket on `channel`.
    case sendFrames([WebSocketFrame], on: WebSocketChannel)
    /// Keep the WebSocket of ``EngineEvent/upgradeRequested`` as the ``WebSocketChannel/probe``.
    case acceptUpgrade
    /// Close the WebSocket of ``EngineEvent/upgradeRequested`` at once.
    case refuseUpgrade
    /// The probe WebSocket becomes the current one; the polling transport is finished.
    case completeUpgrade
    /// Close the WebSocket on `channel`, with `code` in its close frame.
    case closeWebSocket(WebSocketChannel, code: WebSocketCloseCode = .normalClosure)
    /// Hand a message to the upper layer.
    case deliver(EngineData)
    /// Arm the session's single timer for this instant, replacing any earlier one, and send
    /// ``EngineEvent/timerFired`` then.
    case scheduleTimer(EngineTime)
    /// Disarm the session's timer.
    case cancelTimer
    /// The session is over: forget its sid and tell the upper layer. Abort any POST in progress.
    case closed(EngineCloseReason)
}
