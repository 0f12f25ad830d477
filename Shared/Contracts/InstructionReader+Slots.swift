/// One member of an object as ``InstructionReader`` read it. Which type a member must have is
/// known from its name alone, but whether a wrong type matters depends on the `op`, which may
/// come last; so a member of another type is kept as `wrong` and judged when the op is known.
enum Slot<Value> {
    /// Not written, or written as `null`.
    case absent
    /// Written with the type expected.
    case present(Value)
    /// Written with another type.
    case wrong

    /// The value, `nil` when absent; a wrong type is ``Instruction/Malformed`` naming `member`.
    func optional(_ member: String) throws(Instruction.Malformed) -> Value? {
        switch self {
        case .absent: return nil
        case .present(let value): return value
        case .wrong: throw Instruction.Malformed(member: member)
        }
    }

    /// The value; absent or of a wrong type is ``Instruction/Malformed`` naming `member`.
    func required(_ member: String) throws(Instruction.Malformed) -> Value {
        guard case .present(let value) = self else { throw Instruction.Malformed(member: member) }
        return value
    }
}

/// The members of an instruction object, of every op; ``instruction()`` picks those of its op.
struct InstructionSlots: MemberSlots {
    var op = Slot<String>.absent
    var ns = Slot<String>.absent
    var event = Slot<String>.absent
    var sid = Slot<String>.absent
    var reason = Slot<String>.absent
    var args = Slot<[JSON]>.absent
    var rooms = Slot<[String]>.absent
    var sids = Slot<[String]>.absent
    var users = Slot<[String]>.absent
    var to = Slot<AudienceSlots>.absent
    var except = Slot<ExclusionSlots>.absent
    var ack = Slot<EmitAckSlots>.absent
    var data = Slot<JSON>.absent

    /// Reads the member `key` of an instruction object.
    mutating func read(_ key: InstructionKey, from scanner: inout JSONReader.Scanner,
                       depth: Int) throws(JSONReader.Failure) -> Bool
    {
        switch key {
        case .op: op = try scanner.stringSlot(depth: depth)
        case .ns: ns = try scanner.stringSlot(depth: depth)
        case .event: event = try scanner.stringSlot(depth: depth)
        case .sid: sid = try scanner.stringSlot(depth: depth)
        case .reason: reason = try scanner.stringSlot(depth: depth)
        case .args: args = try scanner.valueSlot(depth: depth, \.arrayValue)
        case .rooms: rooms = try scanner.stringsSlot(depth: depth)
        case .sids: sids = try scanner.stringsSlot(depth: depth)
        case .users: users = try scanner.stringsSlot(depth: depth)
        case .to: to = try scanner.objectSlot(AudienceSlots(), depth: depth)
        case .except: except = try scanner.objectSlot(ExclusionSlots(), depth: depth)
        case .ack: ack = try scanner.objectSlot(EmitAckSlots(), depth: depth)
        case .data: data = try scanner.valueSlot(depth: depth) { $0 }
        case .all, .token, .timeoutMs: return false
        }
        return true
    }

    /// The instruction these members make, its members judged in the order the tests' reference
    /// reading judges them, so a list refused is refused naming the same member.
    func instruction() throws(Instruction.Malformed) -> Instruction {
        switch try op.required("op") {
        case "emit":
            let to = try to.required("to")
            let except = try except.optional("except")
            let ack = try ack.optional("ack")
            let ns = try ns.required("ns"), event = try event.required("event"), args = try args.required("args")
            let audience = Audience(rooms: try to.rooms.optional("rooms"), sids: try to.sids.optional("sids"),
                                    users: try to.users.optional("users"), all: try to.all.optional("all"))
            var exclusion: Exclusion?
            if let except {
                exclusion = Exclusion(rooms: try except.rooms.optional("rooms"), sids: try except.sids.optional("sids"))
            }
            var request: EmitAck?
            if let ack {
                request = EmitAck(event: try ack.event.required("event"), token: try ack.token.optional("token"),
                                  timeoutMs: try ack.timeoutMs.optional("timeoutMs"))
            }
            return .emit(Emit(ns: ns, event: event, args: args, to: audience, except: exclusion, ack: request))
        case "ack":
            return .ack(Ack(sid: try sid.required("sid"), args: try args.required("args")))
        case let op where op == "join" || op == "leave":
            let rooms = try rooms.required("rooms")
            let membership = Membership(ns: try ns.required("ns"), rooms: rooms, sids: try sids.optional("sids"),
                                        users: try users.optional("users"))
            return op == "join" ? .join(membership) : .leave(membership)
        case "disconnect":
            return .disconnect(Disconnect(ns: try ns.required("ns"), sids: try sids.optional("sids"),
                                          users: try users.optional("users"), reason: try reason.optional("reason")))
        case "accept":
            return .accept(Decision(data: try data.optional("data")))
        case "reject":
            return .reject(Decision(data: try data.optional("data")))
        default:
            throw Instruction.Malformed(member: "op")
        }
    }
}

/// The members of an emit's `to`.
struct AudienceSlots: MemberSlots {
    var rooms = Slot<[String]>.absent
    var sids = Slot<[String]>.absent
    var users = Slot<[String]>.absent
    var all = Slot<Bool>.absent

    /// Reads the member `key` of a `to` object.
    mutating func read(_ key: InstructionKey, from scanner: inout JSONReader.Scanner,
                       depth: Int) throws(JSONReader.Failure) -> Bool
    {
        switch key {
        case .rooms: rooms = try scanner.stringsSlot(depth: depth)
        case .sids: sids = try scanner.stringsSlot(depth: depth)
        case .users: users = try scanner.stringsSlot(depth: depth)
        case .all: all = try scanner.valueSlot(depth: depth, \.boolValue)
        default: return false
        }
        return true
    }
}

/// The members of an emit's `except`.
struct ExclusionSlots: MemberSlots {
    var rooms = Slot<[String]>.absent
    var sids = Slot<[String]>.absent

    /// Reads the member `key` of an `except` object.
    mutating func read(_ key: InstructionKey, from scanner: inout JSONReader.Scanner,
                       depth: Int) throws(JSONReader.Failure) -> Bool
    {
        switch key {
        case .rooms: rooms = try scanner.stringsSlot(depth: depth)
        case .sids: sids = try scanner.stringsSlot(depth: depth)
        default: return false
        }
        return true
    }
}

/// The members of an emit's `ack`.
struct EmitAckSlots: MemberSlots {
    var event = Slot<String>.absent
    var token = Slot<String>.absent
    var timeoutMs = Slot<Int64>.absent

    /// Reads the member `key` of an `ack` object.
    mutating func read(_ key: InstructionKey, from scanner: inout JSONReader.Scanner,
                       depth: Int) throws(JSONReader.Failure) -> Bool
    {
        switch key {
        case .event: event = try scanner.stringSlot(depth: depth)
        case .token: token = try scanner.stringSlot(depth: depth)
        case .timeoutMs: timeoutMs = try scanner.valueSlot(depth: depth) { if case .int(let n) = $0 { n } else { nil } }
        default: return false
        }
        return true
    }
}
