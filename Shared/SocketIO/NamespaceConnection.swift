import EngineIO

/// One socket: a connection's membership of one namespace, with its ack bookkeeping.
public struct NamespaceConnection: Sendable, Hashable {
    /// The namespace.
    public let namespace: String
    /// The socket id given when the CONNECT was accepted.
    public let sid: String
    /// The next id for a server emit that expects an ack: numbered per socket from 1, as the
    /// socket.io-protocol suite's acknowledgement cases expect (Node numbers per namespace from
    /// 0; a client only sends the id back, so either is correct on the wire).
    public private(set) var nextAckID: Int64 = 1
    /// Server emits waiting for the client's ack, with their deadlines (`nil`: no limit).
    public private(set) var pendingAcks: [Int64: EngineTime?] = [:]
    /// Client events carrying an ack id the server has not answered yet.
    public private(set) var unansweredAcks: Set<Int64> = []

    /// A fresh socket in `namespace` named `sid`.
    public init(namespace: String, sid: String) {
        self.namespace = namespace
        self.sid = sid
    }

    /// Allocates an ack id for a server emit, waiting until `deadline` (or forever).
    public mutating func allocateAck(deadline: EngineTime?) -> Int64 {
        let id = nextAckID
        nextAckID += 1
        pendingAcks[id] = deadline
        return id
    }

    /// Takes the client's ack `id`; `false` when it was not awaited (unknown, late, or repeated).
    public mutating func takeAck(_ id: Int64) -> Bool {
        pendingAcks.removeValue(forKey: id) != nil
    }

    /// Removes and returns the ids whose deadline is at or before `now`, in increasing order.
    public mutating func expireAcks(now: EngineTime) -> [Int64] {
        let expired = pendingAcks.compactMap { id, deadline in deadline.flatMap { $0 <= now ? id : nil } }.sorted()
        for id in expired { pendingAcks[id] = nil }
        return expired
    }

    /// The earliest ack deadline, if any.
    public var earliestAckDeadline: EngineTime? {
        pendingAcks.values.compactMap { $0 }.min()
    }

    /// Notes that the client's event `id` expects an answer.
    public mutating func expectAnswer(_ id: Int64) {
        unansweredAcks.insert(id)
    }

    /// Takes the right to answer the client's event `id`; `false` when already answered or unknown.
    public mutating func takeAnswer(_ id: Int64) -> Bool {
        unansweredAcks.remove(id) != nil
    }
}
