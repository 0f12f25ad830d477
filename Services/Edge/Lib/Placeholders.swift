import Contracts
import SocketIO

/// Binary placeholders: a bus message numbers its attachments across its whole body, while a
/// Socket.IO packet numbers its own from 0.
enum Placeholders {
    /// `arguments` with their placeholders renumbered from 0 in order of appearance, and the
    /// attachments they name. A placeholder naming no attachment becomes `null`.
    static func extract(_ arguments: [JSON], from attachments: [[UInt8]]) -> ([JSON], [[UInt8]]) {
        var taken: [[UInt8]] = []
        func walk(_ value: JSON) -> JSON {
            switch value {
            case .object(let members):
                if members["_placeholder"] == .bool(true), let number = members["num"]?.intValue {
                    guard attachments.indices.contains(Int(number)) else { return .null }
                    taken.append(attachments[Int(number)])
                    return SocketPacket.placeholder(taken.count - 1)
                }
                return .object(members.mapValues(walk))
            case .array(let elements):
                return .array(elements.map(walk))
            default:
                return value
            }
        }
        let renumbered = arguments.map(walk)
        return (renumbered, taken)
    }
}
