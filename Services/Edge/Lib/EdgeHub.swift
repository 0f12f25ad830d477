import Bus
import Contracts
import Foundation
import Logging
import NIOCore

/// The edge's process-wide part: the settings, the bus port, authentication, the metrics, and
/// the state of each event loop (``EdgeLoop``: connections, sockets, rooms).
///
/// It holds nothing mutable of its own. What waits for a reply is in the bus port's pending
/// table (``OutstandingRequest``); sockets and rooms belong to their loop, which only its own
/// thread touches. Anything else reaches a loop through its ``LoopHandle``.
final class EdgeHub: Sendable {
    /// The edge's settings.
    let configuration: EdgeConfiguration
    /// The bus.
    let bus: any EdgeBusPort
    /// The writer of every header the edge publishes.
    let headers: EdgeHeaders
    /// Authentication of CONNECTs and HTTP requests.
    let authorizer: Authorizer
    /// The metrics, and the counts `/health` shows.
    let metrics: EdgeMetrics
    /// The edge's logger.
    let logger: Logger
    /// One handle per event loop the edge serves on.
    let loops: [LoopHandle]

    /// A hub serving on `loops`, publishing through `bus`.
    init(configuration: EdgeConfiguration, bus: any EdgeBusPort, authorizer: Authorizer, metrics: EdgeMetrics,
         logger: Logger, loops: [EventLoop])
    {
        precondition(!loops.isEmpty, "the edge serves on at least one event loop")
        self.configuration = configuration
        self.bus = bus
        headers = EdgeHeaders(instance: bus.instance)
        self.authorizer = authorizer
        self.metrics = metrics
        self.logger = logger
        self.loops = loops.map { LoopHandle(box: .makeEmptyBox(valueType: EdgeLoop.self, eventLoop: $0)) }
    }

    /// The state of `eventLoop`, made on first use. Call on that loop.
    func edgeLoop(on eventLoop: EventLoop) -> EdgeLoop {
        guard let index = loops.firstIndex(where: { $0.eventLoop === eventLoop }) else {
            preconditionFailure("\(eventLoop) is not one of the edge's event loops")
        }
        let handle = loops[index]
        if let state = handle.box.value { return state }
        let state = EdgeLoop(hub: self, handle: handle, index: index)
        handle.box.value = state
        return state
    }

    /// The loop Engine.IO session `sid` lives on, as its id says; `nil` when it names none.
    func loop(ofSession sid: String) -> LoopHandle? {
        SocketID.loop(of: sid).flatMap { loops.indices.contains($0) ? loops[$0] : nil }
    }

    /// Publishes the event of `header` with `arguments` (and the binary `attachments` their
    /// placeholders number) for the service that announced it; its reply or failure completes
    /// `request` (``complete(_:with:)``).
    func send(_ header: BusHeader, arguments: [JSON], attachments: [[UInt8]] = [], request: OutstandingRequest) {
        let body = (try? JSONCoding.encode(arguments)) ?? Data("[]".utf8)
        let event = Envelope(topic: "", header: header, body: body, attachments: attachments.map { Data($0) })
        bus.send(event, route: Route(ns: header.ns ?? "/", event: header.event ?? "")) { result in
            self.complete(request, with: result)
        }
    }

    /// `GET /health`: the edge is up; how many connections and sockets, whether the bus is live.
    var healthJSON: String {
        "{\"status\":\"ok\",\"bus\":\(bus.isReady ? "\"ready\"" : "\"starting\""),"
            + "\"connections\":\(metrics.connectionCount),\"sockets\":\(metrics.socketCount),"
            + "\"pending\":\(bus.pendingCount)}"
    }
}

// MARK: - What the bus brings

extension EdgeHub {
    /// Takes a message from the bus that no waiting event of this edge took: an emit, a reply to
    /// another edge's event (its room emits concern this edge's sockets too), a late or repeated
    /// reply, a resync request. Called on the bus bridge's thread; the instructions are read
    /// here, once, and carried out by every loop.
    func receive(_ envelope: Envelope) {
        switch envelope.header.type {
        case .reply, .emit:
            guard let list = InstructionList(envelope, logger: logger) else { return }
            carryOut(list, answering: nil)
        case .event where envelope.header.event == Resync.event:
            guard Resync.asks((try? envelope.decodeBody(as: [JSON].self)) ?? [], edge: bus.instance) else { return }
            answerResync(envelope.header.id)
        case .event, .hello, .life:
            break
        }
    }

    /// Hands `list` to the loops it concerns, each to carry out for its own sockets; the loop of
    /// `request` also answers it from the list. A list that names sockets only by sid (an echo's
    /// ack and emit, a join of the sender) goes to the loops of those sockets and of `request`
    /// alone (``InstructionList/loopsOfNamedSockets()``); one that reaches rooms, users or
    /// everyone goes to every loop. Lists that reach a loop before it gets to them are carried
    /// out together (``LoopHandle/carryOut(_:answering:)``).
    func carryOut(_ list: InstructionList, answering request: OutstandingRequest?) {
        let named = loops.count > 1 ? list.loopsOfNamedSockets() : nil
        for (index, handle) in loops.enumerated() {
            let own = request.flatMap { $0.loop.isSame(as: handle) ? $0 : nil }
            if own == nil, let named, !named.contains(index) { continue }
            handle.carryOut(list, answering: own)
        }
    }

    /// Answers a resync request (a service rebuilding its mirror of the edges) with one
    /// `snapshot` life fact: every live socket of every loop, its user and its rooms, in sid
    /// order; header `re` = `id`. Its stamp is the lowest of the loops' parts: it holds every
    /// fact up to that number (and maybe some after, which a mirror applies again harmlessly).
    func answerResync(_ id: String) {
        let parts = loops.map { handle in handle.submit { $0.snapshot() } }
        EventLoopFuture.whenAllSucceed(parts, on: loops[0].eventLoop).whenSuccess { parts in
            let taken = parts.compactMap { $0 }
            let stamp = taken.map(\.stamp).min() ?? self.bus.life.position
            let sockets = taken.flatMap(\.sockets).sorted { $0.sid < $1.sid }
            self.bus.publishSnapshot(sockets, stamp: stamp, re: id)
        }
    }
}
