import Contracts
import ServiceKit

/// What the telecaller contract's clients get when their event fails before or in call's handler
/// (call away past the edge's delivery bound, or its handler failed), or names an event nobody
/// serves on `/user` or `/telecaller`; declared in call's hello (docs/call.md, "Failures").
enum CallFailures {
    /// *Ours*: the `call:error` message of an internal failure (the contract lists none).
    static let message = "Something went wrong. Please try again."
    /// The contract's general `error` event's example message, for events nobody serves.
    static let unknownMessage = "An error occurred"

    /// Declares `call:error {message}` (and call's refusal ack) for every call route, and the
    /// general `error {message}` for any other event of the two namespaces.
    static func declare(in definition: inout ServiceDefinition) {
        for route in CallBook.routes {
            definition.onFailure(route.ns, route.event, ack: [["success": false, "error": .string(message)]],
                                 emit: FailureShape.Emit(event: "call:error", args: [["message": .string(message)]]))
        }
        for namespace in [CallBook.userNamespace, CallBook.telecallerNamespace] {
            definition.onFailure(namespace, FailureShape.anyEvent,
                                 ack: [["success": false, "error": .string(unknownMessage)]],
                                 emit: FailureShape.Emit(event: "error", args: [["message": .string(unknownMessage)]]))
        }
    }
}
