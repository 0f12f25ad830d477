import Bus
import Contracts
import Logging
import NIOCore

/// What waits for the reply to an event the edge published: a client's event, a plain HTTP
/// request, a CONNECT held for a service's decision.
///
/// It is the token of the bus client's pending entry: the event's completion captures it, so
/// the delivery rules' table is the one table of outstanding requests and the edge keeps no
/// copy of it. ``EdgeHub/complete(_:with:)`` is the one way out: the result becomes a
/// ``RequestOutcome``, and the request is finished on its own loop.
enum OutstandingRequest: Sendable {
    /// A client event; its ack (when the client asked for one) waits for the reply.
    case clientEvent(ClientEventWaiter)
    /// A plain HTTP request for a service's route; its response waits for the reply.
    case http(HTTPWaiter)
    /// A CONNECT held for the `accept` or `reject` of the namespace's service.
    case decision(DecisionWaiter)

    /// The loop the request belongs to, where it is finished.
    var loop: LoopHandle {
        switch self {
        case .clientEvent(let waiter): waiter.loop
        case .http(let waiter): waiter.loop
        case .decision(let waiter): waiter.loop
        }
    }
}

/// A client event waiting for its service's reply.
struct ClientEventWaiter: Sendable {
    /// The loop holding the socket.
    let loop: LoopHandle
    /// The Socket.IO socket it came from.
    let sid: String
    /// Its bus namespace (its app's, ``EdgeApps``).
    let namespace: String
    /// The ack id, when the client asked for an ack.
    let ackID: Int64?
    /// The event's name, for logs.
    let event: String
    /// When it was published, for the round-trip histogram.
    let started: NIODeadline
    /// Messages of a plain Engine.IO connection (`sid` is its session's): the reply's ack is
    /// sent back as messages, and a failure is only logged.
    var plain = false
}

/// A plain HTTP request waiting for its service's reply.
struct HTTPWaiter: Sendable {
    /// The loop of the HTTP connection.
    let loop: LoopHandle
    /// The route published: the listener's HTTP namespace (`http` or `<app>:http`) and the
    /// announced `<METHOD> <pattern>` (the metrics' and the failure shapes' key).
    let route: Route
    /// When it was published, for the round-trip histogram.
    let started: NIODeadline
    /// Writes the response; called on `loop`, once.
    let respond: NIOLoopBound<HTTPRouteResponder>
}

/// A CONNECT waiting for a service's decision.
struct DecisionWaiter: Sendable {
    /// The loop holding the connection.
    let loop: LoopHandle
    /// The Engine.IO session id of the connection.
    let engineSID: String
    /// The namespace being joined.
    let namespace: String
}

/// How a published event ended: the one reading of the bus client's result, for every kind of
/// ``OutstandingRequest``.
enum RequestOutcome: Sendable {
    /// A reply without `error`: its instructions (none when its body could not be read).
    case answered(InstructionList)
    /// A reply with `error`: the service could not handle the event (`INTERNAL_ERROR`, …).
    case failed(String)
    /// No reply: the delivery rules refused the event or gave up on it.
    case undelivered(DeliveryFailure)

    /// The outcome of `result`; an unreadable reply body is logged once and counts as no instructions.
    init(_ result: Result<Envelope, DeliveryFailure>, logger: Logger) {
        switch result {
        case .success(let reply):
            if let error = reply.header.error {
                self = .failed(error)
            } else {
                self = .answered(InstructionList(reply, logger: logger) ?? InstructionList(header: reply.header))
            }
        case .failure(let failure):
            self = .undelivered(failure)
        }
    }

    /// The error code a client sees (`{"error": code}`), `nil` for an answer.
    var errorCode: String? {
        switch self {
        case .answered: nil
        case .failed(let code): code
        case .undelivered(let failure): failure.code
        }
    }
}

/// A reply or an emit, read once for every loop that carries it out.
struct InstructionList: Sendable {
    /// The message's header (`re` names the event a reply answers).
    let header: BusHeader
    /// The instructions, in order.
    let instructions: [Instruction]
    /// The binary attachments the instructions' placeholders number.
    let attachments: [[UInt8]]

    /// A list without instructions.
    init(header: BusHeader) {
        self.header = header
        instructions = []
        attachments = []
    }

    /// Reads `envelope`'s body; `nil` (with one log line) when it is not a list of instructions.
    init?(_ envelope: Envelope, logger: Logger) {
        do {
            instructions = try envelope.decodeBody(as: [Instruction].self)
        } catch {
            logger.warning("dropped instructions that cannot be read", metadata: [
                "from": "\(envelope.header.from)", "reason": "\(error)",
            ])
            return nil
        }
        header = envelope.header
        attachments = envelope.attachments.map { [UInt8]($0) }
    }
}

extension InstructionList {
    /// The loops of the sockets this list names by sid (a socket's id names its loop,
    /// ``SocketID/make(loop:)``), when it names sockets only so; `nil` when an instruction may
    /// reach a socket of any loop (an emit to rooms, users or everyone, a join, leave or
    /// disconnect by user). An `ack`, `accept` or `reject` concerns only the loop of the request
    /// it answers, and a sid that no loop can have made (another edge's) names no loop.
    func loopsOfNamedSockets() -> Set<Int>? {
        var found = Set<Int>()
        for instruction in instructions {
            let sids: [String]?
            switch instruction {
            case .ack, .accept, .reject:
                continue
            case .emit(let emit):
                guard let named = emit.to.sidsOnly else { return nil }
                sids = named
            case .join(let membership), .leave(let membership):
                guard membership.users?.isEmpty ?? true else { return nil }
                sids = membership.sids
            case .disconnect(let disconnect):
                guard disconnect.users?.isEmpty ?? true else { return nil }
                sids = disconnect.sids
            }
            for sid in sids ?? [] {
                if let loop = SocketID.loop(of: sid) { found.insert(loop) }
            }
        }
        return found
    }
}

extension EdgeHub {
    /// The one completion of every outstanding request. An answer is carried out by every loop
    /// (its emits and joins may concern any socket) and finishes the request on its own loop; a
    /// failure finishes it there.
    func complete(_ request: OutstandingRequest, with result: Result<Envelope, DeliveryFailure>) {
        let outcome = RequestOutcome(result, logger: logger)
        if case .answered(let list) = outcome {
            carryOut(list, answering: request)
        } else {
            request.loop.execute { $0.finish(request, outcome) }
        }
    }
}

extension EdgeLoop {
    /// Finishes a request of this loop: the client's ack, the HTTP response or the decision.
    func finish(_ request: OutstandingRequest, _ outcome: RequestOutcome) {
        switch request {
        case .clientEvent(let waiter): finishClientEvent(waiter, outcome)
        case .http(let waiter): finishHTTP(waiter, outcome)
        case .decision(let waiter): finishDecision(waiter, outcome)
        }
    }
}
