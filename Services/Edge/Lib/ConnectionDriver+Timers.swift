import EngineIO
import NIOCore

/// What a connection's Engine.IO timer does when it fires: the session hears `timerFired`.
///
/// Scheduled as a callback (`EventLoop.scheduleCallback`), which NIO's event loop keeps as it
/// is: no promise and no closures per timer, where `scheduleTask` makes five allocations (about
/// 230 bytes) that every idle connection would hold until its next ping. It names its connection
/// by loop and id (three words: stored inline, not boxed) and finds it only while it is open.
struct EngineTimerCallback: NIOScheduledCallbackHandler, Sendable {
    /// The connection's loop.
    let loop: LoopHandle
    /// The connection's Engine.IO session id.
    let sid: String

    /// Runs on the loop at the timer's deadline.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        loop.box.value?.openDriver(sid)?.engine(.timerFired)
    }
}

/// What a connection's Socket.IO timer does when it fires: the session hears `timerFired`
/// (``EngineTimerCallback`` says why a callback).
struct SocketTimerCallback: NIOScheduledCallbackHandler, Sendable {
    /// The connection's loop.
    let loop: LoopHandle
    /// The connection's Engine.IO session id.
    let sid: String

    /// Runs on the loop at the timer's deadline.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        loop.box.value?.openDriver(sid)?.socket(.timerFired)
    }
}

extension ConnectionDriver {
    /// Schedules `callback` on the connection's loop at a state machine's `time`; `nil` when the
    /// loop is shutting down (the timer would never fire then anyway).
    func schedule(_ callback: some NIOScheduledCallbackHandler & Sendable, at time: EngineTime) -> NIOScheduledCallback? {
        try? owner.eventLoop.scheduleCallback(at: owner.deadline(time), handler: callback)
    }
}
