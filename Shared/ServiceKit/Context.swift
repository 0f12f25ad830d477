import Bus
import Contracts
import Foundation
import GRDB
import Logging
import Synchronization

/// What a handler may use besides its event: the database, a logger, attachments, emits.
public struct Context: Sendable {
    /// Why a context call could not be carried out.
    public enum Failure: Error, Equatable {
        /// ``Context/write(_:)`` on a service defined without a database.
        case noDatabase
        /// ``Context/write(_:)`` in a handler declared `pure`, whose replies are remembered in
        /// memory only.
        case pureHandler
    }

    /// Logger with the event's id and name attached. Made when asked for: attaching metadata
    /// makes a stream log handler render all of it again, and building it cost every event two
    /// strings and a dictionary, too much when most handlers never log.
    public var logger: Logger {
        var logger = baseLogger
        if let eventName {
            logger[metadataKey: "event"] = "\(eventName)"
            logger[metadataKey: "id"] = "\(eventID ?? "-")"
        }
        return logger
    }
    private let baseLogger: Logger
    /// The event's name for ``logger``: set for an event of a batch (`-` when it has none).
    private let eventName: String?
    /// This process's instance id.
    public let instance: String
    /// The service's database, when its definition has migrations.
    public let database: (any DatabaseWriter)?
    /// The W3C trace context of the event being handled, carried on to what it causes.
    public let traceparent: String?
    let eventID: String?
    let reply: ReplyRecord
    /// The `ack` that answers the event when its instructions hold none for its socket: set when
    /// the event asked for an acknowledgement (the route's declared ``ServiceDefinition/acks``).
    let automaticAck: Ack?
    let publish: @Sendable ([Instruction], [Data], String?) -> Void
    /// The batch's shared transaction, when the runtime handles a batch (group commit).
    let transaction: BatchTransaction?
    /// The handler was declared pure: it may not write.
    let isPure: Bool

    /// A context for one event (tests build it directly).
    public init(logger: Logger, instance: String, database: (any DatabaseWriter)?, eventID: String?,
                traceparent: String? = nil,
                publish: @escaping @Sendable ([Instruction], [Data], String?) -> Void = { _, _, _ in })
    {
        baseLogger = logger
        eventName = nil
        self.instance = instance
        self.database = database
        self.eventID = eventID
        self.traceparent = traceparent
        self.publish = publish
        reply = ReplyRecord()
        automaticAck = nil
        transaction = nil
        isPure = false
    }

    /// A context for one message of a batch: writes and reads go through `transaction`;
    /// `eventName` (an event's, `nil` for other messages) and `eventID` are attached to
    /// ``logger`` when it is asked for; `reply` gathers what the message's reply needs (the
    /// runtime keeps it to know whether the handler wrote).
    init(logger: Logger, eventName: String?, instance: String, database: (any DatabaseWriter)?,
         eventID: String?, traceparent: String?, transaction: BatchTransaction?, isPure: Bool,
         reply: ReplyRecord, automaticAck: Ack?, publish: @escaping @Sendable ([Instruction], [Data], String?) -> Void)
    {
        baseLogger = logger
        self.eventName = eventName
        self.instance = instance
        self.database = database
        self.eventID = eventID
        self.traceparent = traceparent
        self.publish = publish
        self.reply = reply
        self.automaticAck = automaticAck
        self.transaction = transaction
        self.isPure = isPure
    }

    /// Adds a binary attachment to this event's reply; returns the placeholder to put in an
    /// instruction's arguments (`{"_placeholder":true,"num":N}`).
    public func attach(_ data: Data) -> JSON {
        let number = reply.attach(data)
        return ["_placeholder": true, "num": .int(Int64(number))]
    }

    /// Runs `body` in one write transaction that also stores the event's reply, so that the
    /// work and the memory of having done it commit together: a repeated event is then
    /// answered from the store and never does the work twice. The instructions `body`
    /// returns are the event's reply (with the attachments made so far): the handler returns
    /// them; if it returns something else or throws afterwards, the stored reply still wins.
    /// A request to another service that is part of the work goes in with ``Outbox/enqueue(_:service:event:args:traceparent:)``
    /// inside `body`: it commits with the work and is sent once the transaction committed.
    ///
    /// When the runtime handles a batch of events, `body` runs in a savepoint of the batch's
    /// one transaction (group commit): a throw rolls back this write alone, and the reply is
    /// published once the whole batch committed. Without a batch it runs in a savepoint of a
    /// transaction of its own.
    ///
    /// State a handler keeps in memory beside the database is put back with
    /// ``GRDB/Database/afterWrite(onCommit:onRollback:)`` registered in `body`: its `onRollback`
    /// runs when this write's savepoint rolls back, whether `body` threw or the dedup record
    /// written after `body` failed, and when the transaction rolls back after the savepoint
    /// was released (a batch whose commit failed); its `onCommit` runs only once the write
    /// committed.
    ///
    /// When the event asked for an acknowledgement and `body`'s instructions give none, the
    /// route's automatic `ack` (``ServiceDefinition/on(_:_:pure:ack:_:)``) is added at their end
    /// before they are stored and returned. What the handler emits (``emit(_:attachments:)``)
    /// from its first write on is a durable emit: stored with the batch's transaction, published
    /// once it committed, again after a crash (docs/bus-protocol.md §12).
    public func write(_ body: @escaping @Sendable (Database) throws -> [Instruction]) async throws -> [Instruction] {
        guard let database else { throw Failure.noDatabase }
        guard !isPure else { throw Failure.pureHandler }
        let eventID = self.eventID
        let attachments = reply.attachments
        let work: @Sendable (Database) throws -> ([Instruction], StoredReply?) = { [self] db in
            let instructions = answered(try body(db))
            // Without an event id (a life fact, a timer) there is no reply to remember.
            guard let eventID else { return (instructions, nil) }
            let stored = StoredReply(body: try JSONCoding.encode(instructions), error: nil, attachments: attachments)
            try SQLiteDedupStore.record(stored, for: eventID, in: db)
            return (instructions, stored)
        }
        reply.wrote()
        let (instructions, stored) = if let transaction {
            try await transaction.write(work)
        } else {
            try await database.write { db in try db.inUndoableSavepoint { try work(db) } }
        }
        if let stored { reply.stored(stored, instructions: instructions) }
        return instructions
    }

    /// Runs `body` in a read transaction of the service's database (checks that need no write
    /// and no dedup record: a repeat may simply read again). Within a batch that holds the
    /// writer it reads on the batch's connection, at once, and sees what earlier events of the
    /// batch wrote.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard let database else { throw Failure.noDatabase }
        if let transaction { return try await transaction.read(body) }
        return try await database.read(body)
    }

    /// Sends instructions outside any reply (`type: emit` on topic `edge`), with the binary
    /// attachments their placeholders number. In a batch they go out with the batch's replies,
    /// once its transaction committed; after the handler began a write they are durable.
    public func emit(_ instructions: [Instruction], attachments: [Data] = []) {
        publish(instructions, attachments, traceparent)
    }

    /// `instructions` with the automatic `ack` added at the end when the event asked for an
    /// acknowledgement and none of them answers its socket.
    func answered(_ instructions: [Instruction]) -> [Instruction] {
        guard let automaticAck else { return instructions }
        let answers = instructions.contains { if case .ack(let ack) = $0 { ack.sid == automaticAck.sid } else { false } }
        return answers ? instructions : instructions + [.ack(automaticAck)]
    }
}

/// What one event's reply has gathered: attachments, whether it wrote, and the reply
/// ``Context/write(_:)`` stored, with the instructions it was encoded from.
final class ReplyRecord: Sendable {
    private struct State {
        var attachments: [Data] = []
        var stored: StoredReply?
        var storedInstructions: [Instruction] = []
        var wrote = false
    }

    private let state = Mutex(State())

    func attach(_ data: Data) -> Int {
        state.withLock { state in
            state.attachments.append(data)
            return state.attachments.count - 1
        }
    }

    var attachments: [Data] { state.withLock { $0.attachments } }

    func stored(_ reply: StoredReply, instructions: [Instruction]) {
        state.withLock { state in
            state.stored = reply
            state.storedInstructions = instructions
        }
    }

    var storedReply: StoredReply? { state.withLock { $0.stored } }

    /// The instructions of ``storedReply``, to compare with what the handler returned without
    /// encoding them again.
    var storedInstructions: [Instruction] { state.withLock { $0.storedInstructions } }

    /// Notes that the handler began a write (which commits or fails with its batch).
    func wrote() { state.withLock { $0.wrote = true } }

    /// `true` once the handler began a write.
    var hasWritten: Bool { state.withLock { $0.wrote } }
}
