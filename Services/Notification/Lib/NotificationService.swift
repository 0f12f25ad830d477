import Contracts
import Foundation
import GRDB
import ServiceKit
import Synchronization

/// The notification service on the bus (see `docs/notification.md`): HomeAssistant's comment
/// and rating notifications, the group notifications chat asks for, a backlog per user that is
/// replayed when a socket of theirs joins `user:{id}`, and `notification:read`.
public enum NotificationService {
    /// The definition: client events on each of `namespaces` (HomeAssistant uses `/`), group
    /// requests on `""` delivered on `groupNamespace` (default: the first of `namespaces`)
    /// unless the request names its `ns`. `book` is exposed for tests.
    public static func definition(namespaces: [String] = ["/"], groupNamespace: String? = nil,
                                  book: NotificationBook = NotificationBook(),
                                  rebuildTimeout: Duration = .seconds(3)) -> ServiceDefinition {
        var definition = ServiceDefinition(name: "notification")
        definition.migrations = { NotificationStore.migrations(&$0) }
        for namespace in namespaces {
            definition.on(namespace, NotificationEvent.commentNotification.rawValue) { event, context in
                try await clientNotification(event, context, book: book, plan: NotificationRequests.comment)
            }
            definition.on(namespace, NotificationEvent.ratingNotification.rawValue) { event, context in
                try await clientNotification(event, context, book: book, plan: NotificationRequests.rating)
            }
            definition.on(namespace, NotificationEvent.read.rawValue) { event, context in
                try await markRead(event, context, book: book)
            }
            NotificationFailures.declare(on: namespace, in: &definition)
        }
        let deliveryNamespace = groupNamespace ?? namespaces.first ?? "/"
        for request in NotificationEvent.groupRequests {
            definition.on("", request.rawValue) { event, context in
                try await group(request, event, context, book: book, namespace: deliveryNamespace)
            }
        }
        definition.mirrorSockets(startTimeout: rebuildTimeout) { update, context in
            try await book.apply(update, write: context.write)
        }
        return definition
    }

    /// `commentNotification` / `ratingNotification`: checked, stored, delivered or kept.
    static func clientNotification(_ event: Event, _ context: Context, book: NotificationBook,
                                   plan: (_ args: [JSON], _ sender: Sender) throws(Refusal) -> PlannedNotification)
        async throws -> [Instruction]
    {
        let sender = Sender(identity: event.user?.id,
                            namespaceRequiresAuth: !event.trustsPayloadIdentity)
        let planned: PlannedNotification
        do {
            planned = try plan(event.args, sender)
        } catch {
            return refuse(event, error, emitError: true)
        }
        return try await create([planned], event, context, book: book, ns: event.route.ns) { ids in
            event.acknowledge([["success": true, "id": .int(ids[0])]])
        }
    }

    /// A group notification request from another service (namespace `""`).
    static func group(_ request: NotificationEvent, _ event: Event, _ context: Context, book: NotificationBook,
                      namespace: String) async throws -> [Instruction]
    {
        let planned: [PlannedNotification]
        do {
            planned = try NotificationRequests.group(request, event.args)
        } catch {
            return event.acknowledge([["success": false, "error": .string(error.code), "message": .string(error.message)]])
        }
        let ns = event.args.first?["ns"]?.stringValue ?? namespace
        return try await create(planned, event, context, book: book, ns: ns) { ids in
            event.acknowledge([["success": true, "ids": .array(ids.map(JSON.int))]])
        }
    }

    /// Stores `planned` with fresh ids and the event's date in one transaction with the reply;
    /// a recipient with a socket in `user:{id}` gets it now (marked delivered), the others keep
    /// it in their backlog. Emits to rooms are in the reply when it goes to every edge (a client
    /// event), else (a request with `replyTo`) published on `edge` once committed.
    static func create(_ planned: [PlannedNotification], _ event: Event, _ context: Context, book: NotificationBook,
                       ns: String, answer: @escaping @Sendable ([Int64]) -> [Instruction]) async throws -> [Instruction]
    {
        let ts = event.header.ts
        let date = NotificationRequests.date(ts)
        let kind = event.route.event
        let inReply = event.header.replyTo == nil
        let emitted = Mutex<[Instruction]>([])
        let reply = try await context.write { db in
            var ids: [Int64] = []
            var emits: [Instruction] = []
            for notification in planned {
                let id = try NotificationStore.reserve(db, ns: ns, recipient: notification.recipient,
                                                       sender: notification.sender, kind: kind, createdAt: ts)
                ids.append(id)
                let room = UserRoom(ns: ns, user: notification.recipient)
                let deliveries = notification.deliveries(id, date)
                let online = book.isOccupied(room)
                try NotificationStore.finish(db, id: id, deliveries: deliveries,
                                             deliveredAt: online ? Clock.millisecondsSinceEpoch() : nil)
                if online {
                    emits += deliveries.map {
                        .emit(Emit(ns: ns, event: $0.event, args: $0.args, to: Audience(rooms: [room.name])))
                    }
                }
            }
            emitted.withLock { $0 = emits }
            return (inReply ? emits : []) + answer(ids)
        }
        if !inReply { context.emit(emitted.withLock { $0 }) }
        return reply
    }

    /// `notification:read {id}`: only the recipient may mark it (the authenticated user; an
    /// anonymous socket where the namespace trusts payloads, when it is in `user:{recipient}`).
    static func markRead(_ event: Event, _ context: Context, book: NotificationBook) async throws -> [Instruction] {
        let ns = event.route.ns
        do {
            let id = try NotificationRequests.readID(event.args)
            guard let notification = try await context.read({ try NotificationStore.notification($0, id: id) }),
                  notification.ns == ns
            else { throw Refusal.notFound }
            if let user = event.user?.id {
                guard user == notification.recipient else { throw Refusal.forbidden("Not your notification") }
            } else {
                let requiresAuth = !event.trustsPayloadIdentity
                let socket = SocketKey(edge: event.header.edge ?? event.header.from, sid: event.sid ?? "")
                guard !requiresAuth, book.contains(socket, in: UserRoom(ns: ns, user: notification.recipient)) else {
                    throw Refusal.forbidden("Not your notification")
                }
            }
            let now = Clock.millisecondsSinceEpoch()
            return try await context.write { db in
                try NotificationStore.markRead(db, id: id, now: now)
                return event.acknowledge([["success": true]])
            }
        } catch let refusal as Refusal {
            return refuse(event, refusal, emitError: !event.wantsAck)
        }
    }

    /// A refusal: HomeAssistant's `error` emit `{error, code, timestamp}` to the sender (when
    /// `emitError`), and `{success: false, error: code}` as the ack when one was asked for.
    static func refuse(_ event: Event, _ refusal: Refusal, emitError: Bool) -> [Instruction] {
        var instructions: [Instruction] = []
        if emitError, let sid = event.sid {
            instructions.append(.emit(Emit(ns: event.route.ns, event: "error",
                                           args: [NotificationRequests.errorPayload(refusal, ts: event.header.ts)],
                                           to: Audience(sids: [sid]))))
        }
        return instructions + event.acknowledge([["success": false, "error": .string(refusal.code)]])
    }
}
