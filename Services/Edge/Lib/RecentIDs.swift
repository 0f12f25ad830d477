/// A bounded set of recent ids: the oldest is forgotten first. An ``EdgeLoop`` keeps the replies
/// and emits it carried out in one, so that a re-published event answered twice, or a durable
/// emit published again, is carried out once.
struct RecentIDs {
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0
    /// How many ids are remembered at most.
    let capacity: Int

    /// An empty set remembering at most `capacity` ids.
    init(capacity: Int) { self.capacity = capacity }

    /// Adds `id`; `false` when it was already there.
    mutating func insert(_ id: String) -> Bool {
        guard members.insert(id).inserted else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[head])
            order[head] = id
            head = (head + 1) % capacity
        }
        return true
    }
}
