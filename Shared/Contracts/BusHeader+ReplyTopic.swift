import Foundation

extension BusHeader {
    /// The topic of the reply to this event when the reply's body is `body` (bus protocol §12,
    /// "Where a reply goes"): `replyTo`, or `edge` when there is none; but the reply to an
    /// edge's event (`replyTo` is `edge.<that edge>`) that holds an instruction reaching beyond
    /// the event's socket (a room, a user, everyone, another socket) goes to `edge`, where every
    /// edge carries it out for its own sockets and the asking edge answers its ack from it. The
    /// body is skimmed (``ReachScanner``), and read whole only when it is not plainly written.
    public func replyTopic(body: Data) -> String {
        guard let replyTo else { return Topic.edge }
        guard let edge, replyTo == Topic.edge(edge) else { return replyTo }
        let reaches = ReachScanner.reaches(body, beyond: sid)
            ?? (try? JSONCoding.decode([Instruction].self, from: body))?.contains { $0.reachesBeyond(socket: sid) }
        return reaches == true ? Topic.edge : replyTo
    }
}
