import Contracts
import ServiceKit

/// What presence's clients get when their event fails before or in presence's handler (presence
/// away past the edge's delivery bound, or its handler failed), declared in its hello so that
/// the edge answers in each contract's shape (docs/presence.md, "Failures").
enum PresenceFailures {
    /// The audio rooms' `user:getRoom` error acknowledgement for an internal failure.
    static let getRoomAck: [JSON] = [["roomId": nil, "error": "INTERNAL_ERROR"]]

    /// HomeAssistant's error format `{error, code, timestamp}` as an `error` event to the sender,
    /// its hello: an internal failure.
    static let homeEmit = FailureShape.Emit(event: "error", args: [[
        "error": "Internal server error", "code": "INTERNAL_ERROR", "timestamp": "{{timestamp}}",
    ]])
    /// The ack presence gives a refusal, with that code.
    static let homeAck: [JSON] = [["success": false, "error": "INTERNAL_ERROR"]]

    /// Declares the shape of `event` on `namespace`.
    static func declare(_ event: PresenceEvent, on namespace: String, in definition: inout ServiceDefinition) {
        if event == .getRoom {
            definition.onFailure(namespace, event.rawValue, ack: getRoomAck)
        } else {
            definition.onFailure(namespace, event.rawValue, ack: homeAck, emit: homeEmit)
        }
    }
}
