import Contracts
import ServiceKit

/// What notification's clients get when their event fails before or in its handler (the service
/// away past the edge's delivery bound, or its handler failed): HomeAssistant's error format
/// `{error, code, timestamp}` as an `error` event to the sender, and the refusal ack; declared in
/// its hello (docs/notification.md).
enum NotificationFailures {
    /// The `error` event of an internal failure.
    static let emit = FailureShape.Emit(event: "error", args: [[
        "error": "Internal server error", "code": "INTERNAL_ERROR", "timestamp": "{{timestamp}}",
    ]])
    /// The refusal ack with that code.
    static let ack: [JSON] = [["success": false, "error": "INTERNAL_ERROR"]]

    /// Declares the shape of each client event on `namespace`.
    static func declare(on namespace: String, in definition: inout ServiceDefinition) {
        for event in [NotificationEvent.commentNotification, .ratingNotification, .read] {
            definition.onFailure(namespace, event.rawValue, ack: ack, emit: emit)
        }
    }
}
