import Contracts
import Foundation

/// The events of a rooms run, as JSON templates where `{room}` stands for the room's name and
/// `{payload}` for the marked payload string (with its quotes).
struct RoomBenchEvents: Sendable {
    /// The join event's name, e.g. `join`.
    var joinEvent: String
    /// Its arguments, e.g. `[{"room":"{room}"}]`.
    var joinArguments: String
    /// The send event's name, e.g. `broadcast`.
    var sendEvent: String
    /// Its arguments, e.g. `[{"room":"{room}","event":"msg","args":[{payload}],"exceptSelf":true}]`.
    var sendArguments: String
    /// What the payload string carries after its mark, e.g. `xx…`.
    var padding: String
    /// How the receive event's packet begins: `["msg"`.
    var receivePrefix: [UInt8]

    /// The join event's arguments after `42<id>` for `room`.
    func join(room: String) -> String {
        Self.packet(joinEvent, joinArguments.replacingOccurrences(of: "{room}", with: room))
    }

    /// The send event's arguments after `42<id>` for `room` with `payload`.
    func send(room: String, payload: String) -> String {
        Self.packet(sendEvent, sendArguments.replacingOccurrences(of: "{room}", with: room)
            .replacingOccurrences(of: "{payload}", with: payload))
    }

    /// `["event",arg…]` from an event name and a JSON array of arguments.
    static func packet(_ event: String, _ arguments: String) -> String {
        let trimmed = arguments.trimmingCharacters(in: .whitespaces)
        let inner = trimmed.hasPrefix("[") && trimmed.hasSuffix("]") ? String(trimmed.dropFirst().dropLast()) : trimmed
        let name = JSON.string(event).jsonText
        return inner.trimmingCharacters(in: .whitespaces).isEmpty ? "[\(name)]" : "[\(name),\(inner)]"
    }
}
