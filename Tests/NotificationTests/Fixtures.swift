import Contracts
import Foundation
import GRDB
import Logging
@testable import Notification
import ServiceKit
import Synchronization
import Testing

let edgeA = "edge-aaaaaa"
let eventTS: Int64 = 1_761_402_600_000 // 2025-10-25T14:30:00Z

/// A notification service with a fresh database, driven through its definition's handlers.
final class Harness: @unchecked Sendable {
    let directory: String
    var database: DatabasePool
    var book: NotificationBook
    var definition: ServiceDefinition
    /// The mirror of the edges ServiceKit would keep, fed by ``life(_:_:edge:)``.
    var mirror = EdgeMirror()
    /// The number of the last fact of each edge.
    var numbers: [String: UInt64] = [:]
    let emitted = Mutex<[Instruction]>([])

    init(rebuilt: Bool = true) async throws {
        directory = NSTemporaryDirectory() + "notification-tests-" + UUID().uuidString
        database = try ServiceDatabase.open(directory: directory, service: "notification",
                                            migrations: NotificationStore.migrations)
        book = NotificationBook()
        definition = NotificationService.definition(book: book)
        if rebuilt { _ = try await finishStart() }
    }

    /// A restart: the same file, a new book, definition and mirror (starting).
    func restart() throws {
        database = try ServiceDatabase.open(directory: directory, service: "notification",
                                            migrations: NotificationStore.migrations)
        book = NotificationBook()
        definition = NotificationService.definition(book: book)
        mirror = EdgeMirror()
    }

    /// The end of the start: the mirror's initial state goes to the socket handler.
    func finishStart() async throws -> [Instruction] {
        try await mirrored(mirror.finishStart())
    }

    /// Hands a mirror step's changes to the service's socket handler.
    func mirrored(_ step: EdgeMirror.Step) async throws -> [Instruction] {
        guard !step.changes.isEmpty || step.isInitial else { return [] }
        let handler = try #require(definition.socketHandler)
        return try await handler(SocketUpdate(changes: step.changes, cause: step.cause, parts: step.parts),
                                 context(eventID: nil))
    }

    func context(eventID: String? = MessageID.make()) -> Context {
        Context(logger: Logger(label: "test"), instance: "notification-test", database: database, eventID: eventID) {
            instructions, _, _ in self.emitted.withLock { $0 += instructions }
        }
    }

    /// Sends an event to its handler.
    func send(_ name: String, _ args: [JSON], ns: String = "/", sid: String = "s1", user: String? = nil,
              auth: String = "optional", ack: Bool = false, replyTo: String? = nil) async throws -> [Instruction] {
        var header = BusHeader(type: .event, from: edgeA, ts: eventTS)
        header.ns = ns
        header.event = name
        header.sid = sid
        header.edge = edgeA
        header.user = user.map { Identity(id: $0) }
        header.ack = ack
        header.auth = auth
        header.replyTo = replyTo
        let handler = try #require(definition.handlers[Route(ns: ns, event: name)])
        return try await handler(Event(header: header, args: args), context())
    }

    /// A group request from another service (namespace `""`, reply to its inbox).
    func request(_ name: String, _ payload: JSON) async throws -> [Instruction] {
        try await send(name, [payload], ns: "", sid: "chat-1", auth: "none", ack: true,
                       replyTo: "inbox.chat-abcdef")
    }

    /// Feeds a life fact.
    /// Feeds a life fact of `edge`, numbered as the edge numbers them (a snapshot holds every
    /// fact so far), through the mirror.
    func life(_ kind: LifeFactKind, _ fact: JSON, edge: String = edgeA) async throws -> [Instruction] {
        var header = BusHeader(type: .life, from: edge)
        header.event = kind.rawValue
        header.edge = edge
        if kind != .snapshot { numbers[edge, default: 0] += 1 }
        var object = fact.objectValue ?? [:]
        (object["epoch"], object["seq"]) = (1, .int(Int64(numbers[edge, default: 0])))
        let record = try LifeRecord(header: header, body: [.object(object)])
        // A snapshot is taken when the mirror awaits one: after a hello a fact ahead of it.
        if kind == .snapshot { _ = mirror.heard(edge, stream: LifeStamp(epoch: 1, seq: record.stamp.seq + 1), now: 0) }
        return try await mirrored(mirror.receive(record, now: 0))
    }

    func join(_ sid: String, _ room: String, ns: String = "/", edge: String = edgeA) async throws -> [Instruction] {
        try await life(.joined, ["sid": .string(sid), "ns": .string(ns), "room": .string(room)], edge: edge)
    }

    func leave(_ sid: String, _ room: String, ns: String = "/") async throws -> [Instruction] {
        try await life(.left, ["sid": .string(sid), "ns": .string(ns), "room": .string(room)])
    }

    func disconnect(_ sid: String, rooms: [String] = []) async throws -> [Instruction] {
        try await life(.disconnected, ["sid": .string(sid), "ns": "/", "reason": "transport close",
                                       "rooms": .array(rooms.map(JSON.string))])
    }

    func stored() throws -> [StoredNotification] {
        try database.read { try NotificationStore.all($0) }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

let newComment: JSON = ["commentID": 240, "comment": "Great service!", "from": "john_doe", "houseworkerID": "2",
                        "date": "25.10.2025", "read": false]

func commentPayload(from: JSON = "1", to: JSON = "2", id: JSON = 388) -> JSON {
    ["newComment": newComment,
     "notificationObj": ["id": id, "from": from, "to": to, "type": "comment", "date": ["day": 1],
                         "message": "You've got comment from john_doe", "read": true]]
}

func ratingPayload(from: JSON = "1") -> JSON {
    ["client": "john_doe", "houseworker": "sara_cleaner", "rating": 5, "houseworkerID": "2",
     "notification": ["id": 387, "from": from, "to": "2", "type": "comment", "date": [:] as JSON,
                      "message": "The user john_doe has rated you with 5", "read": false]]
}

/// The seed's date object for ``eventTS``.
let seedDate: JSON = ["day": 25, "month": 10, "year": 2025, "time": "14:30", "timestamp": .int(eventTS)]

extension Instruction {
    var emitted: Emit? { if case .emit(let emit) = self { return emit } else { return nil } }
    var acked: Ack? { if case .ack(let ack) = self { return ack } else { return nil } }
}
