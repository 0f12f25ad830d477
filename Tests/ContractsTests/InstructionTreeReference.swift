import Contracts

/// The reading of an instruction list that `InstructionReader` replaced, kept as the tests'
/// reference: the list read into a ``JSON`` tree by ``JSONReader/read(_:)``, then each element
/// read from the tree. The accepted input is that of the `Codable` conformance: `null` reads as
/// absent, unknown members are ignored, a member of the wrong type or an unknown `op` is an error.
extension Instruction {
    /// Reads an instruction from the JSON object its `Codable` form writes.
    init(json: JSON) throws {
        guard case .object(let object) = json else { throw Malformed(member: "op") }
        let fields = Fields(object: object)
        switch try fields.string("op") {
        case "emit":
            let to = try fields.object("to")
            let except = try fields.optionalObject("except")
            let ack = try fields.optionalObject("ack")
            self = .emit(Emit(
                ns: try fields.string("ns"), event: try fields.string("event"), args: try fields.array("args"),
                to: Audience(rooms: try to.strings("rooms"), sids: try to.strings("sids"),
                             users: try to.strings("users"), all: try to.bool("all")),
                except: try except.map { Exclusion(rooms: try $0.strings("rooms"), sids: try $0.strings("sids")) },
                ack: try ack.map { EmitAck(event: try $0.string("event"), token: try $0.optionalString("token"),
                                           timeoutMs: try $0.int("timeoutMs")) }))
        case "ack":
            self = .ack(Ack(sid: try fields.string("sid"), args: try fields.array("args")))
        case let op where op == "join" || op == "leave":
            guard let rooms = try fields.strings("rooms") else { throw Malformed(member: "rooms") }
            let membership = Membership(ns: try fields.string("ns"), rooms: rooms, sids: try fields.strings("sids"),
                                        users: try fields.strings("users"))
            self = op == "join" ? .join(membership) : .leave(membership)
        case "disconnect":
            self = .disconnect(Disconnect(ns: try fields.string("ns"), sids: try fields.strings("sids"),
                                          users: try fields.strings("users"),
                                          reason: try fields.optionalString("reason")))
        case "accept":
            self = .accept(Decision(data: fields.value("data")))
        case "reject":
            self = .reject(Decision(data: fields.value("data")))
        default:
            throw Malformed(member: "op")
        }
    }
}

/// Typed access to the members of one JSON object, `null` counting as absent.
private struct Fields {
    let object: [String: JSON]

    func value(_ key: String) -> JSON? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// The member `key` read by `read`: `nil` when absent, an error when `read` refuses it.
    private func optional<T>(_ key: String, _ read: (JSON) -> T?) throws -> T? {
        guard let value = value(key) else { return nil }
        guard let typed = read(value) else { throw Instruction.Malformed(member: key) }
        return typed
    }

    /// The member `key` read by `read`: an error when absent or refused.
    private func required<T>(_ key: String, _ read: (JSON) -> T?) throws -> T {
        guard let typed = try optional(key, read) else { throw Instruction.Malformed(member: key) }
        return typed
    }

    func string(_ key: String) throws -> String { try required(key, \.stringValue) }

    func optionalString(_ key: String) throws -> String? { try optional(key, \.stringValue) }

    func array(_ key: String) throws -> [JSON] { try required(key, \.arrayValue) }

    func strings(_ key: String) throws -> [String]? {
        try optional(key) { value in
            guard let values = value.arrayValue else { return nil }
            let texts = values.compactMap(\.stringValue)
            return texts.count == values.count ? texts : nil
        }
    }

    func bool(_ key: String) throws -> Bool? { try optional(key, \.boolValue) }

    func int(_ key: String) throws -> Int64? {
        try optional(key) { value in if case .int(let number) = value { number } else { nil } }
    }

    func object(_ key: String) throws -> Fields { Fields(object: try required(key, \.objectValue)) }

    func optionalObject(_ key: String) throws -> Fields? { try optional(key, \.objectValue).map(Fields.init) }
}
