import Foundation

extension BusHeader {
    /// The topic of the reply to this event (bus protocol §12, "Where a reply goes"): `replyTo`,
    /// or `edge` when there is none; but the reply to an edge's event (`replyTo` is
    /// `edge.<that edge>`) that holds an instruction reaching beyond the event's socket (a room,
    /// a user, everyone, another socket) goes to `edge`, where every edge carries it out for its
    /// own sockets and the asking edge answers its ack from it. `reaches` says whether the reply
    /// holds such an instruction (``Instruction/reachesBeyond(socket:)`` for this event's `sid`,
    /// where the instructions are at hand); it is asked only for an edge's event.
    public func replyTopic(reaches: @autoclosure () -> Bool) -> String {
        guard let replyTo else { return Topic.edge }
        guard let edge, replyTo == Topic.edge(edge) else { return replyTo }
        return reaches() ? Topic.edge : replyTo
    }

    /// The topic of the reply to this event when only the reply's body is known, `body`
    /// (``replyTopic(reaches:)``): the body is skimmed (``ReachScanner``), and read whole only
    /// when it is not plainly written; a body that is no instruction list reaches no one.
    public func replyTopic(body: Data) -> String {
        replyTopic(reaches: ReachScanner.reaches(body, beyond: sid)
            ?? (try? JSONCoding.decode([Instruction].self, from: body))?.contains { $0.reachesBeyond(socket: sid) }
            ?? false)
    }
}
