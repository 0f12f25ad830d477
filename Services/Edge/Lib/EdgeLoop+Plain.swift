import Contracts
import EngineIO
import SocketIO

/// A plain Engine.IO endpoint's side of the bus. Its connections speak Engine.IO alone: every
/// batch of messages a client sends at once (a WebSocket frame, a polling POST's payload) is one
/// event `message` on the endpoint's namespace, `sid` the Engine.IO session's, one argument per
/// message (a string for text, a placeholder for binary, its bytes an attachment); the reply's
/// `ack` for that sid sends its arguments back as messages, in one batch.
extension EdgeLoop {
    /// Publishes the messages a plain connection delivered.
    func plainMessages(_ messages: [EngineData], on driver: ConnectionDriver) {
        guard let namespace = driver.plain else { return }
        var arguments: [JSON] = []
        var attachments: [[UInt8]] = []
        for message in messages {
            switch message {
            case .text(let text):
                arguments.append(.string(text))
            case .binary(let bytes):
                arguments.append(SocketPacket.placeholder(attachments.count))
                attachments.append(bytes)
            }
        }
        let header = hub.headers.event(Route(ns: namespace, event: "message"), sid: driver.sid, user: nil, ack: true,
                                       ip: driver.address, auth: EdgeConfiguration.AuthMode.none.rawValue)
        hub.metrics.eventIn("message")
        var waiter = ClientEventWaiter(loop: handle, sid: driver.sid, namespace: namespace, ackID: 0, event: "message",
                                       started: .now())
        waiter.plain = true
        hub.send(header, arguments: arguments, attachments: attachments, request: .clientEvent(waiter))
    }

    /// A reply's `ack` to a plain connection's messages: each argument is sent as one message
    /// (a string as text, a placeholder as its attachment, anything else as its JSON text).
    func answerPlain(_ waiter: ClientEventWaiter, with arguments: [JSON], attachments: [[UInt8]]) {
        guard let driver = driver(waiter.sid), driver.plain != nil else { return }
        let messages = arguments.map { argument -> EngineData in
            if case .string(let text) = argument { return .text(text) }
            if argument["_placeholder"] == .bool(true), let index = argument["num"]?.intValue,
               attachments.indices.contains(Int(index)) {
                return .binary(attachments[Int(index)])
            }
            return .text(argument.jsonText)
        }
        guard !messages.isEmpty else { return }
        driver.engine(.send(messages))
    }
}
