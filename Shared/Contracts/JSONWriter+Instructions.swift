import Foundation

/// A list of instructions written straight to JSON bytes, in one pass: every reply a service
/// sends is one, so no ``JSON`` dictionaries are built and sorted on the way. The members of
/// each object come in the order ``JSONWriter/append(_:to:)`` sorts keys into, members that
/// are `nil` are left out, and arguments and decision data go through ``JSONWriter`` itself:
/// the bytes are those the `Codable` conformance gives (held to that in the tests).
extension JSONWriter {
    /// The JSON text of `instructions`.
    public static func write(_ instructions: [Instruction]) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128 * max(instructions.count, 1))
        bytes.append(UInt8(ascii: "["))
        for (position, instruction) in instructions.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            append(instruction, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return Data(bytes)
    }

    /// Appends the JSON object of one instruction to `bytes`.
    public static func append(_ instruction: Instruction, to bytes: inout [UInt8]) {
        var object = JSONObjectWriter()
        bytes.append(UInt8(ascii: "{"))
        switch instruction {
        case .emit(let emit):
            if let ack = emit.ack {
                object.key("ack", &bytes)
                var fields = JSONObjectWriter()
                bytes.append(UInt8(ascii: "{"))
                fields.string("event", ack.event, &bytes)
                if let timeout = ack.timeoutMs { fields.integer("timeoutMs", timeout, &bytes) }
                if let token = ack.token { fields.string("token", token, &bytes) }
                bytes.append(UInt8(ascii: "}"))
            }
            object.key("args", &bytes)
            append(.array(emit.args), to: &bytes)
            object.string("event", emit.event, &bytes)
            if let except = emit.except {
                object.key("except", &bytes)
                appendSelection(rooms: except.rooms, sids: except.sids, to: &bytes)
            }
            object.string("ns", emit.ns, &bytes)
            object.op("emit", &bytes)
            object.key("to", &bytes)
            appendSelection(rooms: emit.to.rooms, sids: emit.to.sids, users: emit.to.users, all: emit.to.all,
                            to: &bytes)
        case .ack(let ack):
            object.key("args", &bytes)
            append(.array(ack.args), to: &bytes)
            object.op("ack", &bytes)
            object.string("sid", ack.sid, &bytes)
        case .join(let membership), .leave(let membership):
            object.string("ns", membership.ns, &bytes)
            object.op(instruction.op, &bytes)
            object.strings("rooms", membership.rooms, &bytes)
            object.strings("sids", membership.sids, &bytes)
            object.strings("users", membership.users, &bytes)
        case .disconnect(let disconnect):
            object.string("ns", disconnect.ns, &bytes)
            object.op("disconnect", &bytes)
            if let reason = disconnect.reason { object.string("reason", reason, &bytes) }
            object.strings("sids", disconnect.sids, &bytes)
            object.strings("users", disconnect.users, &bytes)
        case .accept(let decision), .reject(let decision):
            if let data = decision.data {
                object.key("data", &bytes)
                append(data, to: &bytes)
            }
            object.op(instruction.op, &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// An audience, exclusion or socket selection: the object of the members that are set.
    private static func appendSelection(rooms: [String]?, sids: [String]?, users: [String]? = nil, all: Bool? = nil,
                                        to bytes: inout [UInt8])
    {
        var object = JSONObjectWriter()
        bytes.append(UInt8(ascii: "{"))
        if let all { object.bool("all", all, &bytes) }
        object.strings("rooms", rooms, &bytes)
        object.strings("sids", sids, &bytes)
        object.strings("users", users, &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}
