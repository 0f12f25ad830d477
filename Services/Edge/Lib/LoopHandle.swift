import NIOCore

/// The way onto one event loop's ``EdgeLoop`` from any thread (a bus completion, an
/// authentication task). The state is not `Sendable`: it is reached only through this handle,
/// whose box checks that every access happens on its loop.
struct LoopHandle: Sendable {
    /// The loop's state, made on first use (``EdgeHub/edgeLoop(on:)``).
    let box: NIOLoopBoundBox<EdgeLoop?>
    /// The instruction lists the bus handed the loop, not carried out yet.
    let inbox = LoopInbox()

    /// The event loop.
    var eventLoop: EventLoop { box.eventLoop }

    /// Runs `body` on the loop with its state (nothing when no state was made there yet: such a
    /// loop has no connections).
    func execute(_ body: @escaping @Sendable (EdgeLoop) -> Void) {
        let box = self.box
        box.eventLoop.execute {
            if let state = box.value { body(state) }
        }
    }

    /// The result of `body` run on the loop with its state; `nil` when it has none.
    func submit<Result: Sendable>(_ body: @escaping @Sendable (EdgeLoop) -> Result) -> EventLoopFuture<Result?> {
        let box = self.box
        return box.eventLoop.submit { box.value.map(body) }
    }

    /// Hands the loop an instruction list to carry out after the ones handed before; one task
    /// carries out every list that is waiting when it runs (``EdgeLoop/carryOutInbox()``).
    /// A loop without state has no sockets: its lists are dropped, so that its inbox empties.
    func carryOut(_ list: InstructionList, answering request: OutstandingRequest?) {
        guard inbox.put((list, request)) else { return }
        let (box, inbox) = (box, inbox)
        box.eventLoop.execute {
            guard let state = box.value else {
                _ = inbox.take()
                return
            }
            state.carryOutInbox()
        }
    }

    /// `true` when both name the same loop.
    func isSame(as other: LoopHandle) -> Bool { box === other.box }
}
