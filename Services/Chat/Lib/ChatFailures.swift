import Contracts
import ServiceKit

/// What chat's clients get when their event fails before or in chat's handler (chat away past
/// the edge's delivery bound, or its handler failed), in each contract's refusal shape; declared
/// in chat's hello (docs/chat.md, "Failures").
enum ChatFailures {
    /// *Ours*, after the seed's `error:<kind> {code}` events: Zizany's internal failure.
    static let zizanyEmit = FailureShape.Emit(event: "error:internal", args: [["code": "E_INTERNAL"]])
    /// Zizany's refusal ack with that code.
    static let zizanyAck: [JSON] = [["ok": false, "code": "E_INTERNAL"]]
    /// Zizany's REST error body, `{code}`, for every error the edge answers on the history route
    /// itself (`E_UNAUTHORIZED` for a bad cookie, `SERVICE_UNAVAILABLE`, `INTERNAL_ERROR`, …).
    static let zizanyBody: JSON = ["code": "{{code}}"]

    /// Chatto's text of an internal failure, in its `error {event, error}` and refusal ack.
    static let chattoText = "Internal server error"
    /// HomeAssistant's error format `{error, code, timestamp}` as an `error` event to the sender.
    static let homeEmit = FailureShape.Emit(event: "error", args: [[
        "error": "Internal server error", "code": "INTERNAL_ERROR", "timestamp": "{{timestamp}}",
    ]])
    /// HomeAssistant's refusal ack with that code.
    static let homeAck: [JSON] = [["success": false, "error": "INTERNAL_ERROR"]]

    /// The events of each contract chat serves, as registered on each of its namespaces.
    static let zizanyEvents = ["server:join", "channel:join", "typing:start", "typing:stop", "message:create"]
    static let chattoEvents = ["join room", "leave room", "chat message", "create room", "typing"]
    static let homeEvents = ["chatRoom.join", "chatRoom.leave", "message", "startTypingRoom", "stopTypingRoom",
                             "createUserGroup", "addUserToGroup", "kickUserFromGroup", "deleteUserRoom"]

    /// Declares every client event's shape on its contract's namespaces, and the history route's body.
    static func declare(in definition: inout ServiceDefinition, _ namespaces: ChatService.Configuration) {
        for ns in namespaces.zizany {
            for event in zizanyEvents { definition.onFailure(ns, event, ack: zizanyAck, emit: zizanyEmit) }
        }
        for ns in namespaces.chatto {
            for event in chattoEvents {
                definition.onFailure(ns, event, ack: [["success": false, "error": .string(chattoText)]],
                                     emit: FailureShape.Emit(event: "error", args: [["event": .string(event),
                                                                                      "error": .string(chattoText)]]))
            }
        }
        for ns in namespaces.home {
            for event in homeEvents { definition.onFailure(ns, event, ack: homeAck, emit: homeEmit) }
        }
        for ns in Set(namespaces.zizany.map(Route.httpNamespace(of:))) {
            definition.onFailure(ns, ZizanyChat.historyRoute, body: zizanyBody)
        }
    }
}
