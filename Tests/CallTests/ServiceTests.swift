import Contracts
import Foundation
import GRDB
import JWTKit
import Logging
import ServiceKit
import Synchronization
import Testing
@testable import Call

/// A settable clock for the engine.
final class TestClock: Sendable {
    private let value = Mutex<Int64>(t0)
    var now: Int64 {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }

    var function: @Sendable () -> Int64 { { self.now } }
}

/// An engine on a fresh `call.sqlite` in a temporary folder, with the test accounts seeded.
struct ServiceHarness {
    let folder: String
    let database: DatabasePool
    let clock: TestClock
    var engine: CallEngine
    var settings: CallSettings

    init(ringTimeoutMs: Int64 = 30_000, folder: String? = nil, clock: TestClock = TestClock()) async throws {
        self.folder = folder ?? NSTemporaryDirectory() + "call-tests-\(UUID().uuidString)"
        database = try ServiceDatabase.open(directory: self.folder, service: "call", migrations: CallStore.migrate)
        self.clock = clock
        settings = CallSettings()
        settings.book.ringTimeoutMs = ringTimeoutMs
        engine = CallEngine(settings: settings, logger: Logger(label: "test"), clock: clock.function)
    }

    /// A second engine on the same file, as after a restart.
    func restarted() -> CallEngine {
        CallEngine(settings: settings, logger: Logger(label: "test"), clock: clock.function)
    }

    /// A write of its own on the test database, as ``ServiceControl/write(_:)`` runs one (without
    /// the emit, which the tests read from what it returns).
    var write: InstructionsWrite { { [database] body in try await database.write(body) } }

    func context(_ eventID: String? = MessageID.make()) -> Context {
        Context(logger: Logger(label: "test"), instance: "call-test", database: database, eventID: eventID)
    }

    /// Seeds the test accounts through the seed handler and ends the engine's rebuild.
    func seeded() async throws -> ServiceHarness {
        let document: JSON = [
            "users": .array(testUsers.map { user in
                ["id": .string(user.id), "name": .string(user.name), "profile": user.profile.map(JSON.string) ?? .null,
                 "status": .string(user.status.rawValue), "coins": .int(user.coinBalance)]
            }),
            "telecallers": .array(testTelecallers.map { t in
                ["id": .string(t.id), "name": .string(t.name), "profile": t.profile.map(JSON.string) ?? .null,
                 "language": .string(t.language), "about": .string(t.about), "approved": .bool(t.approved),
                 "ratePerMinute": .int(t.ratePerMinute), "status": .string(t.status.rawValue)]
            }),
        ]
        _ = try await engine.finishRebuild(try await engine.load(from: database), through: write)
        let reply = try await engine.seed(event(ns: "", "seed", [document], sid: "seed-1", ack: true), context: context())
        #expect(reply.last == .ack(Ack(sid: "seed-1", args: [["ok": true, "service": "call", "users": 4, "telecallers": 5]])))
        return self
    }

    func event(ns: String, _ name: String, _ args: [JSON], sid: String, user: Identity? = nil, ack: Bool = false,
               type: MessageType = .event) -> Event {
        var header = BusHeader(type: type, from: "edge-1")
        header.ns = ns
        header.event = name
        header.sid = sid
        header.edge = "edge-1"
        header.user = user
        header.ack = ack ? true : nil
        return Event(header: header, args: args)
    }

    /// Sends client `name` from `socket`.
    @discardableResult
    func send(_ socket: CallSocket, _ name: String, _ payload: JSON) async throws -> [Instruction] {
        try await engine.clientEvent(event(ns: socket.ns, name, [payload], sid: socket.sid, user: socket.identity),
                                     context: context())
    }

    /// The mirror's change `kind` (`connected` or `disconnected`) for `socket` of edge `edge-1`.
    @discardableResult
    func life(_ kind: LifeFactKind, _ socket: CallSocket, engine: CallEngine? = nil) async throws -> [Instruction] {
        let ref = SocketRef(edge: "edge-1", sid: socket.sid)
        let mirrored = LifeSocket(sid: socket.sid, ns: socket.ns, user: socket.identity)
        let change: SocketChange = kind == .disconnected ? .disconnected(ref, mirrored) : .connected(ref, mirrored)
        return try await (engine ?? self.engine).sockets(SocketUpdate(changes: [change]), context: context(nil))
    }

    /// The mirror's initial state at start: `sockets` of edge `edge-1`.
    func initial(_ sockets: [LifeSocket], engine: CallEngine) async throws {
        let changes = EdgeMirror.difference(edge: "edge-1", from: [:],
                                            to: Dictionary(uniqueKeysWithValues: sockets.map { ($0.sid, $0) }))
        _ = try await engine.sockets(SocketUpdate(changes: changes, isInitial: true), context: context(nil))
    }

    func storedCall(_ id: String) async throws -> Call? {
        try await database.read { try CallStore.call($0, id: id) }
    }

    func coins(_ user: String) async throws -> Int64? {
        try await database.read { try Int64.fetchOne($0, sql: "SELECT coins FROM users WHERE id = ?", arguments: [user]) }
    }
}

extension Array where Element == Instruction {
    var events: [String] { compactMap { if case .emit(let emit) = $0 { emit.event } else { nil } } }
}

/// The runtime wrapper: persistence, timer, restart, tokens, seed.
@Suite struct ServiceTests {
    @Test func liveKitTokensVerifyWithJWTKit() async throws {
        let tokens = LiveKitTokens(apiKey: "devkey", apiSecret: CallSettings.developmentSecret)
        let token = tokens.participant(identity: "user:u1", name: "Ann", room: "c1")
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: CallSettings.developmentSecret), digestAlgorithm: .sha256)
        let claims = try await keys.verify(token, as: LiveKitClaims.self)
        #expect(claims.iss.value == "devkey" && claims.sub.value == "user:u1" && claims.name == "Ann")
        #expect(claims.video == LiveKitVideoGrant(room: "c1", roomJoin: true))
        #expect(claims.exp.value.timeIntervalSince(claims.nbf.value) == 6 * 3600)

        let other = JWTKeyCollection()
        await other.add(hmac: HMACKey(from: "another-secret-that-is-long-enough-0123456789"), digestAlgorithm: .sha256)
        await #expect(throws: (any Error).self) { try await other.verify(token, as: LiveKitClaims.self) }

        let admin = try await keys.verify(tokens.admin(room: "c1"), as: LiveKitClaims.self)
        #expect(admin.video == LiveKitVideoGrant(room: "c1", roomCreate: true, roomAdmin: true))
    }

    @Test func deleteRoomRequest() throws {
        let tokens = LiveKitTokens(apiKey: "k", apiSecret: CallSettings.developmentSecret)
        let rooms = LiveKitRooms(serverURL: "wss://lk.example.com/", tokens: tokens, logger: Logger(label: "test"))
        let request = try #require(rooms.request(room: "c9"))
        #expect(request.url?.absoluteString == "https://lk.example.com/twirp/livekit.RoomService/DeleteRoom")
        #expect(request.httpMethod == "POST")
        #expect(request.value(forHTTPHeaderField: "Authorization")?.hasPrefix("Bearer ey") == true)
        let body = try JSONSerialization.jsonObject(with: try #require(request.httpBody)) as? [String: String]
        #expect(body == ["room": "c9"])
        #expect(LiveKitRooms(serverURL: nil, tokens: tokens, logger: Logger(label: "test")).request(room: "c9") == nil)
    }

    @Test func settingsFromTheEnvironment() {
        let defaults = CallSettings(environment: [:])
        #expect(defaults.book.ringTimeoutMs == 30_000 && defaults.book.liveKitURL == "ws://localhost:7880")
        #expect(defaults.liveKitServer == nil && defaults.liveKitAPIKey == "devkey")
        #expect(defaults.liveKitAPISecret.utf8.count >= 32)
        let set = CallSettings(environment: ["CALL_RING_TIMEOUT_MS": "1500", "LIVEKIT_URL": "ws://lk:7880",
                                             "LIVEKIT_API_KEY": "key", "LIVEKIT_API_SECRET": "s"])
        #expect(set.book.ringTimeoutMs == 1500 && set.book.liveKitURL == "ws://lk:7880" && set.liveKitServer == "ws://lk:7880")
        #expect(set.liveKitAPIKey == "key" && set.liveKitAPISecret == "s")
    }

    @Test func seedDocuments() throws {
        let seed = try CallSeed(document: [
            "users": [["id": 7, "name": "Ann"]],
            "telecallers": [["id": "t1", "name": "Jane", "ratePerMinute": 10, "approved": false]],
            "servers": [["id": 1]],
        ])
        #expect(seed.users == [UserAccount(id: "7", name: "Ann", coinBalance: 0)])
        #expect(seed.telecallers == [Telecaller(id: "t1", name: "Jane", language: "", about: "", approved: false,
                                                ratePerMinute: 10)])
        #expect(throws: CallSeed.Invalid(description: "users[0].name is missing")) {
            try CallSeed(document: ["users": [["id": "1"]]])
        }
        #expect(throws: CallSeed.Invalid(description: "users[0].status must be ACTIVE or BLOCKED")) {
            try CallSeed(document: ["users": [["id": "1", "name": "A", "status": "GONE"]]])
        }
        #expect(throws: CallSeed.Invalid(description: "telecallers is not an array")) {
            try CallSeed(document: ["telecallers": 3])
        }
        #expect(try CallSeed(document: [:]) == CallSeed(users: [], telecallers: []))
    }

    @Test func everyCallFieldIsStored() async throws {
        let h = try await ServiceHarness()
        let call = Call(id: "c1", userId: "u1", telecallerId: "t1", callType: .video, ratePerMinute: 10,
                        status: .completed, initiatedAt: t0, ringDeadline: t0 + 30_000, acceptedAt: t0 + 1000,
                        endedAt: t0 + 62_000, userSid: "su", telecallerSid: "st", durationSeconds: 61, coins: 20,
                        endReason: .endedByUser)
        try await h.database.write { try CallStore.upsert(call, in: $0) }
        #expect(try await h.storedCall("c1") == call)
        let ringing = Call(id: "c2", userId: "u1", telecallerId: "t1", callType: .audio, ratePerMinute: 0,
                           initiatedAt: t0, ringDeadline: t0 + 5, userSid: "su")
        try await h.database.write { try CallStore.upsert(ringing, in: $0) }
        #expect(try await h.database.read { try CallStore.calls($0, endedSince: t0 + 100_000) } == [ringing])
    }

    @Test func connectionDecisions() async throws {
        let h = try await ServiceHarness().seeded()
        let decide = { (id: String, role: String, ns: String) in
            h.engine.decide(h.event(ns: ns, "connect", [[:]], sid: "s", user: Identity(id: id, role: role)))
        }
        #expect(decide("u1", "USER", "/user") == [.accept(Decision(data: ["accountStatus": "ACTIVE"]))])
        #expect(decide("u3", "USER", "/user") == [.reject(Decision(data: ["message": "Account suspended. Please contact support."]))])
        #expect(decide("t1", "TELECALLER", "/telecaller") == [.accept(Decision(data: ["accountStatus": "ACTIVE"]))])
        #expect(decide("u1", "USER", "/telecaller") == [.reject(Decision(data: ["message": "Access denied"]))])
        #expect(decide("nobody", "USER", "/user") == [.reject(Decision(data: ["message": "Invalid or expired token"]))])
    }

    /// Initiate stores a RINGING call with its deadline; the timer misses it once, in the database too.
    @Test func ringTimeoutIsStoredAndFiredOnce() async throws {
        let h = try await ServiceHarness(ringTimeoutMs: 1500).seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        let initiated = try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        #expect(initiated.events == ["call:incoming", "call:ringing", "telecaller:presence-changed"])
        let id = try #require(h.engine.book.calls.values.first?.id)
        let stored = try #require(try await h.storedCall(id))
        #expect(stored.status == .ringing && stored.ringDeadline == t0 + 1500 && stored.userSid == "su-u1")
        #expect(try await h.engine.settleDue(through: h.write) == nil)
        h.clock.now = t0 + 1500
        let missed = try #require(try await h.engine.settleDue(through: h.write))
        #expect(missed.events == ["call:missed", "call:missed", "telecaller:presence-changed"])
        #expect(try await h.storedCall(id)?.status == .missed)
        #expect(try await h.storedCall(id)?.endReason == .ringTimeout)
        #expect(try await h.engine.settleDue(through: h.write) == nil)
    }

    /// A restart between initiate and the deadline: the stored call and the edges' snapshot
    /// bring it back RINGING, and the deadline still fires once.
    @Test func deadlinesSurviveARestart() async throws {
        let h = try await ServiceHarness(ringTimeoutMs: 1500).seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        let id = try #require(h.engine.book.calls.values.first?.id)

        let engine = h.restarted()
        #expect(engine.isRebuilding)
        let loaded = try await engine.load(from: h.database)
        #expect(loaded.calls.map(\.id) == [id] && loaded.users.count == 4)
        try await h.initial([
            LifeSocket(sid: "su-u1", ns: "/user", user: Identity(id: "u1", role: "USER")),
            LifeSocket(sid: "st-t1", ns: "/telecaller", user: Identity(id: "t1", role: "TELECALLER")),
            LifeSocket(sid: "x", ns: "/"),
        ], engine: engine)
        h.clock.now = t0 + 1000
        let rebuilt = try await engine.finishRebuild(loaded, through: h.write)
        #expect(!rebuilt.events.contains("call:missed"))
        #expect(engine.book.calls[id]?.status == .ringing && engine.book.nextDeadline == t0 + 1500)
        h.clock.now = t0 + 1600
        let missed = try #require(try await engine.settleDue(through: h.write))
        #expect(missed.events.filter { $0 == "call:missed" }.count == 2)
        #expect(try await h.storedCall(id)?.endedAt == t0 + 1500)
        #expect(try await engine.settleDue(through: h.write) == nil)
    }

    /// After a restart with an overdue deadline, reconcile misses the call at once.
    @Test func overdueDeadlinesFireAtStart() async throws {
        let h = try await ServiceHarness(ringTimeoutMs: 1500).seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        let engine = h.restarted()
        h.clock.now = t0 + 10_000
        let outcome = try await engine.finishRebuild(try await engine.load(from: h.database), through: h.write)
        #expect(outcome.events == ["call:missed", "call:missed"])
        #expect(try await h.database.read { try String.fetchOne($0, sql: "SELECT status FROM calls") } == "MISSED")
    }

    /// Ending a call bills it: the balance goes down in the book and in the database.
    @Test func endDebitsTheStoredBalance() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "VIDEO"])
        let id = try #require(h.engine.book.calls.values.first?.id)
        h.clock.now = t0 + 1000
        let accepted = try await h.send(telecallerSocket("t1"), "call:accept", ["callId": .string(id)])
        #expect(accepted.events.filter { $0 == "call:accepted" }.count == 2)
        h.clock.now = t0 + 62_000
        let ended = try await h.send(userSocket("u1"), "call:end", ["callId": .string(id)])
        #expect(ended.events.first == "call:ended")
        let stored = try #require(try await h.storedCall(id))
        #expect(stored.status == .completed && stored.durationSeconds == 61 && stored.coins == 20)
        #expect(try await h.coins("u1") == 980)
        #expect(h.engine.book.users["u1"]?.coinBalance == 980)
    }

    /// A write that fails leaves the book as it was, so the event can be tried again.
    @Test func aFailedWriteRestoresTheBook() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.database.write { try $0.execute(sql: "ALTER TABLE calls RENAME TO calls_away") }
        await #expect(throws: (any Error).self) {
            try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        }
        #expect(h.engine.book.calls.isEmpty)
        try await h.database.write { try $0.execute(sql: "ALTER TABLE calls_away RENAME TO calls") }
        let again = try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        #expect(again.events.contains("call:ringing"))
    }

    /// An edge that goes silent takes its sockets with it.
    @Test func aSilentEdgeDisconnectsItsSockets() async throws {
        let h = try await ServiceHarness().seeded()
        try await h.life(.connected, userSocket("u1"))
        try await h.life(.connected, telecallerSocket("t1"))
        try await h.send(userSocket("u1"), "call:initiate", ["telecallerId": "t1", "callType": "AUDIO"])
        let update = SocketUpdate(changes: [socketDisconnected(userSocket("u1"), edge: "edge-1"),
                                            socketDisconnected(telecallerSocket("t1"), edge: "edge-1")], cause: .gone)
        let gone = try await h.engine.sockets(update, context: h.context(nil))
        #expect(gone.events.filter { $0 == "call:missed" }.count == 2)
        #expect(h.engine.book.presence(of: "t1") == .offline)
    }

    /// A wake for a deadline after the end of the current wait leaves the timer asleep; one
    /// before it, or with no deadline, ends the wait.
    @Test func wakerSleepsThroughLaterDeadlines() async {
        let waker = Waker()
        let waited = Task {
            let start = ContinuousClock.now
            await waker.wait(upTo: .milliseconds(600), until: 1_000)
            return ContinuousClock.now - start
        }
        try? await Task.sleep(for: .milliseconds(200))
        waker.wake(for: 1_000)
        waker.wake(for: 5_000)
        #expect(await waited.value >= .milliseconds(600))
        let early = Task {
            let start = ContinuousClock.now
            await waker.wait(upTo: .seconds(5), until: 1_000)
            return ContinuousClock.now - start
        }
        try? await Task.sleep(for: .milliseconds(200))
        waker.wake(for: 999)
        #expect(await early.value < .seconds(2))
    }

    @Test func wakerWakesEarlyAndTimesOut() async {
        let waker = Waker()
        let start = ContinuousClock.now
        waker.wake()
        await waker.wait(upTo: .seconds(5))
        #expect(ContinuousClock.now - start < .seconds(1))
        let timed = ContinuousClock.now
        await waker.wait(upTo: .milliseconds(50))
        #expect(ContinuousClock.now - timed >= .milliseconds(50))
        Task {
            try? await Task.sleep(for: .milliseconds(30))
            waker.wake()
        }
        let woken = ContinuousClock.now
        await waker.wait(upTo: .seconds(5))
        #expect(ContinuousClock.now - woken < .seconds(2))
    }
}
