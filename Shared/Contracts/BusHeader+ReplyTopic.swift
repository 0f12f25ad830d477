import Foundation

extension BusHeader {
    /// The topic of the reply to this event when the reply's body is `body` (bus protocol §12,
    /// "Where a reply goes"): `replyTo`, or `edge` when there is none; but the reply to an
    /// edge's event (`replyTo` is `edge.<that edge>`) that holds an instruction reaching beyond
    /// the event's socket (a room, a user, everyone, another socket) goes to `edge`, where every
    /// edge carries it out for its own sockets and the asking edge answers its ack from it. The
    /// list is read only when its bytes name an op that reaches sockets.
    public func replyTopic(body: Data) -> String {
        guard let replyTo else { return Topic.edge }
        guard let edge, replyTo == Topic.edge(edge), Instruction.mayReachSockets(body),
              let instructions = try? JSONCoding.decode([Instruction].self, from: body),
              instructions.contains(where: { $0.reachesBeyond(socket: sid) })
        else { return replyTo }
        return Topic.edge
    }
}
