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
        var object = ObjectWriter()
        bytes.append(UInt8(ascii: "{"))
        switch instruction {
        case .emit(let emit):
            if let ack = emit.ack {
                object.key("ack", &bytes)
                var fields = ObjectWriter()
                bytes.append(UInt8(ascii: "{"))
                fields.string("event", ack.event, &bytes)
                if let timeout = ack.timeoutMs {
                    fields.key("timeoutMs", &bytes)
                    bytes.append(contentsOf: String(timeout).utf8)
                }
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
        var object = ObjectWriter()
        bytes.append(UInt8(ascii: "{"))
        if let all {
            object.key("all", &bytes)
            bytes.append(contentsOf: (all ? "true" : "false").utf8)
        }
        object.strings("rooms", rooms, &bytes)
        object.strings("sids", sids, &bytes)
        object.strings("users", users, &bytes)
        bytes.append(UInt8(ascii: "}"))
    }
}

/// The members of one object being written, in the order they are given: the separators
/// between them. Keys are the plain ASCII names of the instruction format, written as they are.
private struct ObjectWriter {
    private var empty = true

    /// Writes `"name":`, after a comma unless it is the object's first member.
    mutating func key(_ name: String, _ bytes: inout [UInt8]) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// A member whose value is a string.
    mutating func string(_ name: String, _ value: String, _ bytes: inout [UInt8]) {
        key(name, &bytes)
        JSONWriter.appendString(value, to: &bytes)
    }

    /// The `op` member, whose value is a plain ASCII name.
    mutating func op(_ name: String, _ bytes: inout [UInt8]) {
        key("op", &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A member whose value is a list of strings; nothing when `values` is `nil`.
    mutating func strings(_ name: String, _ values: [String]?, _ bytes: inout [UInt8]) {
        guard let values else { return }
        key(name, &bytes)
        bytes.append(UInt8(ascii: "["))
        for (position, value) in values.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
