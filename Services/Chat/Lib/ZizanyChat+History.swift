import Contracts
import GRDB
import ServiceKit

extension ZizanyChat {
    /// The HTTP route of the message history (seed 001: "Message history is loaded via REST"),
    /// announced as `("http", "GET /api/channels/:id/messages")` (`zizany:http` for the edge's app
    /// `zizany`) and answered through the edge.
    static let historyRoute = "GET /api/channels/:id/messages"
    /// Messages per page when the request names no `limit`.
    static let defaultHistoryLimit = 50
    /// The largest `limit` accepted.
    static let maxHistoryLimit = 200

    /// Registers the history route on HTTP namespace `ns` (`http`, or `<app>:http`:
    /// ``Contracts/Route/httpNamespace(of:)`` of a Zizany namespace).
    static func registerHistory(_ definition: inout ServiceDefinition, ns: String) {
        definition.on(ns, historyRoute, pure: true) { event, context in
            try await history(event, context)
        }
    }

    /// `GET /api/channels/{id}/messages?before=&limit=`: the newest `limit` messages with an id
    /// below `before`, oldest first, as `{messages: [message:new objects], hasMore}`; the
    /// session's user must be a member of the channel's server. Refusals: 401
    /// `{code: "E_UNAUTHORIZED"}`, 400 `{code: "E_VALIDATION"}`, 404 `{code: "E_CHANNEL_NOT_FOUND"}`,
    /// 403 `{code: "E_FORBIDDEN"}`.
    static func history(_ event: Event, _ context: Context) async throws -> [Instruction] {
        let request = event.args.first
        guard let identity = event.user, let user = Int64(identity.id) else {
            return respond(event, context, status: 401, ["code": "E_UNAUTHORIZED"])
        }
        guard let channelID = request?["params"]?["id"]?.stringValue.flatMap({ Int64($0) }),
              let page = HistoryPage(query: request?["query"])
        else { return respond(event, context, status: 400, ["code": "E_VALIDATION"]) }
        do {
            let messages = try await context.read { db in
                try checkChannel(db, channelID, user: user)
                return try ChatStore.messages(db, channel: channelID, before: page.before, limit: page.limit + 1)
            }
            let hasMore = messages.count > page.limit
            let shown = hasMore ? Array(messages.dropFirst()) : messages
            return respond(event, context, status: 200, ["messages": .array(shown.map(\.json)), "hasMore": .bool(hasMore)])
        } catch let failure as Failure {
            return respond(event, context, status: failure == .channelNotFound ? 404 : 403, ["code": .string(failure.code)])
        }
    }

    /// The ack that the edge turns into the HTTP response; a refusal is logged once.
    static func respond(_ event: Event, _ context: Context, status: Int64, _ body: JSON) -> [Instruction] {
        if status >= 400 {
            context.logger.notice("refused \(event.route): \(status) \(body.jsonText)",
                                  metadata: ["path": "\(event.args.first?["path"]?.stringValue ?? "-")"])
        }
        return event.acknowledge([["status": .int(status), "body": body]])
    }
}

/// The query of a history request: `before` (a message id) and `limit` (1…200, default 50).
struct HistoryPage: Equatable {
    /// Only messages with a smaller id; `nil` for the newest.
    var before: Int64?
    /// How many messages at most.
    var limit: Int

    /// Reads `before` and `limit` from the query object (values are strings); `nil` when one is
    /// not a number or `limit` is out of range.
    init?(query: JSON?) {
        before = nil
        limit = ZizanyChat.defaultHistoryLimit
        if let text = query?["before"]?.stringValue, !text.isEmpty {
            guard let value = Int64(text) else { return nil }
            before = value
        }
        if let text = query?["limit"]?.stringValue, !text.isEmpty {
            guard let value = Int(text), (1...ZizanyChat.maxHistoryLimit).contains(value) else { return nil }
            limit = value
        }
    }
}
