/// Which edges must carry an instruction out, and so where a reply goes (bus protocol §12,
/// "Where a reply goes").
///
/// Only the edge that holds the event's socket can use an `ack`, an `accept` or a `reject`, and
/// an instruction that names that socket alone (by its sid) reaches no other edge. Anything that
/// names rooms, users, everyone or other sockets may concern sockets of every edge.
extension Instruction {
    /// `true` when carrying this out may concern a socket other than `sid` (the socket of the
    /// event being answered), and so a socket held by another edge: an emit to rooms, users,
    /// everyone or other sids; a join, leave or disconnect by user or of other sids.
    public func reachesBeyond(socket sid: String?) -> Bool {
        switch self {
        case .ack, .accept, .reject:
            return false
        case .emit(let emit):
            return emit.to.all == true || !(emit.to.rooms ?? []).isEmpty || !(emit.to.users ?? []).isEmpty
                || Self.namesOthers(emit.to.sids, than: sid)
        case .join(let membership), .leave(let membership):
            return !(membership.users ?? []).isEmpty || Self.namesOthers(membership.sids, than: sid)
        case .disconnect(let disconnect):
            return !(disconnect.users ?? []).isEmpty || Self.namesOthers(disconnect.sids, than: sid)
        }
    }

    private static func namesOthers(_ sids: [String]?, than sid: String?) -> Bool {
        (sids ?? []).contains { $0 != sid }
    }
}
