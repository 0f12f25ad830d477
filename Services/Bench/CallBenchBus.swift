import Bus
import Contracts
import Foundation
import Logging
import NIOCore
import SwitchboardKit
import Synchronization

/// The bus side of `switchboard-bench call`: seeds the call service, and for the timer part
/// plays an edge towards it (publishes `connected` / `disconnected` life facts, sends client
/// events through the delivery rules, receives the instructions published on topic `edge`).
final class CallBenchBus: Sendable {
    /// Called with the time and each `emit` instruction published on topic `edge`.
    typealias EmitHandler = @Sendable (NIODeadline, Emit) -> Void

    /// This bench's instance id: the `from` and `edge` of everything it publishes.
    var instance: String { client.instance }
    private let client: BusClient
    private let onEmit = Locked<EmitHandler?>(nil)
    /// The epoch of this bench's life facts, and the number of the last one.
    private let epoch = Clock.millisecondsSinceEpoch()
    private let lastFact = Locked<UInt64>(0)
    private let running: Task<Void, Never>

    /// Connects to the bus and waits (up to `timeout` seconds) until the call service announced
    /// `call:initiate`.
    init(configuration: BusConnection.Configuration, timeout: Double) async throws {
        var clientConfiguration = BusClient.Configuration(instance: "bench-call-\(MessageID.shortSuffix())")
        clientConfiguration.bus = configuration
        clientConfiguration.delivery.retryIntervalMilliseconds = 5000
        clientConfiguration.delivery.maxAgeMilliseconds = Int64(timeout * 1000)
        clientConfiguration.subscriptions = [.exact(Topic.edge)]
        let client = try BusClient(configuration: clientConfiguration, logger: Logger(label: "bench-call"))
        self.client = client
        let handlers = BusClient.Handlers(messages: { [onEmit] batch in
            for envelope in batch where envelope.topic == Topic.edge && envelope.header.type == .emit {
                let now = NIODeadline.now()
                guard let handler = onEmit.withLock({ $0 }),
                      let instructions = try? envelope.decodeBody(as: [Instruction].self) else { continue }
                for case .emit(let emit) in instructions { handler(now, emit) }
            }
        })
        running = Task { await client.run(handlers) }
        guard await client.waitForRoute(Self.initiate, timeout: .seconds(timeout)) != nil else {
            await close()
            throw BenchFailure(description: "no service announced /user call:initiate within \(timeout) s " +
                "on \(configuration.publishEndpoint): is the call service running?")
        }
    }

    /// The route of `call:initiate`.
    static let initiate = Route(ns: "/user", event: "call:initiate")

    /// Hands every `emit` published on topic `edge` from now on to `handler`.
    func watchEmits(_ handler: @escaping EmitHandler) {
        onEmit.withLock { $0 = handler }
    }

    /// Gives `document` to the call service as one `seed` event; throws unless it answers ok.
    func seed(_ document: JSON) async throws {
        var header = header(ns: "", event: "seed", sid: "\(instance)-seed", user: nil)
        header.ack = true
        let reply = try await request(Envelope(topic: "", header: header, encoding: [document]), route: nil)
        guard reply.header.error == nil, let answer = SeedDelivery.ackArgument(of: reply),
              answer["ok"]?.boolValue == true else {
            throw BenchFailure(description: "the call service refused the seed: \(reply.header.error ?? "")")
        }
    }

    /// Publishes a `connected` or `disconnected` life fact for socket `sid` of `user` on `ns`,
    /// numbered as an edge numbers its facts (one epoch, the next sequence).
    func publishFact(_ kind: String, ns: String, sid: String, user: Identity) {
        let fact: LifeFact = kind == LifeFactKind.disconnected.rawValue
            ? .disconnected(.init(sid: sid, ns: ns, user: user)) : .connected(.init(sid: sid, ns: ns, user: user))
        lastFact.withLock { seq in
            seq += 1
            let record = LifeRecord(edge: instance, stamp: LifeStamp(epoch: epoch, seq: seq), fact: fact)
            guard let envelope = try? Envelope(topic: Topic.life, header: record.header(), encoding: record.body)
            else { return }
            client.publish(envelope)
        }
    }

    /// Sends client event `event` with one argument from socket `sid` of `user` on `ns` and
    /// returns its reply; a delivery failure throws.
    func request(_ event: String, _ argument: JSON, ns: String, sid: String, user: Identity) async throws -> Envelope {
        let header = header(ns: ns, event: event, sid: sid, user: user)
        return try await request(Envelope(topic: "", header: header, encoding: [argument]), route: Route(ns: ns, event: event))
    }

    /// Stops receiving and disconnects.
    func close() async {
        await client.shutdown()
        await running.value
    }

    /// An event to the call service (or to `route`'s service), awaiting its reply.
    private func request(_ envelope: Envelope, route: Route?) async throws -> Envelope {
        if let route { return try await client.request(envelope, route: route) }
        return try await client.request(envelope, service: "call")
    }

    /// The header of an event or fact from this "edge".
    private func header(ns: String, event: String, sid: String, user: Identity?) -> BusHeader {
        var header = BusHeader(type: .event, from: instance)
        header.ns = ns
        header.event = event
        header.sid = sid
        header.edge = instance
        header.user = user
        header.replyTo = Topic.inbox(instance)
        return header
    }
}

/// The CPU time and resident memory of a process (Linux `/proc`).
struct ProcessUsage: Sendable {
    /// User + system CPU seconds so far.
    var cpuSeconds: Double
    /// `VmRSS` in bytes.
    var residentBytes: Int

    /// Reads them for `pid` now.
    init(pid: Int32) throws {
        cpuSeconds = try Self.cpuSeconds(of: pid)
        residentBytes = try EdgeBenchCommand.residentBytes(of: pid)
    }

    /// User + system CPU seconds `pid` has used so far.
    static func cpuSeconds(of pid: Int32) throws -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { throw BenchFailure(description: "cannot read /proc/\(pid)/stat") }
        // After the command name: state is field 3, utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchFailure(description: "unexpected /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A value behind a lock that tasks and event-loop callbacks share (a class, so closures can
/// capture it).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    /// A lock around `value`.
    init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` on the value while holding the lock.
    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
