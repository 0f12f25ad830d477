import Bus
import Contracts
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
@testable import Edge

/// An edge on an embedded event loop, talking to a ``FakeBus``: the hub's logic is read from
/// spec strings, as the state machines' tests read theirs. Clients are WebSockets fed frames by
/// hand (Engine.IO messages: `42["echo"]`); what the edge sends on the bus is written
/// `<ns> <event> <header> <body>` (``spec(_:)``), with socket ids replaced by the clients' names.
final class EdgeHarness {
    let loop = EmbeddedEventLoop()
    let bus = FakeBus()
    let hub: EdgeHub
    let edge: EdgeLoop
    /// The clients' socket ids and the names the specs call them by (`<a>`).
    private(set) var names: [(sid: String, name: String)] = []
    private var eventsSeen = 0

    /// An edge serving `namespaces` on one listener, with the other settings `configure` makes;
    /// `otherLoops` are loops of the hub after `loop`, whose state is made only when a test asks.
    init(namespaces: [String: EdgeConfiguration.Namespace] = ["/": .init(auth: .none)],
         otherLoops: [EventLoop] = [], configure: (inout EdgeConfiguration) -> Void = { _ in }) async
    {
        var configuration = EdgeConfiguration()
        configuration.namespaces = namespaces
        configure(&configuration)
        hub = EdgeHub(configuration: configuration, bus: bus, authorizer: await Authorizer(configuration: configuration),
                      metrics: EdgeMetrics(), logger: Logger(label: "test"), loops: [loop] + otherLoops)
        edge = hub.edgeLoop(on: loop)
    }

    /// A WebSocket client of listener `listener` whose handshake was answered; it joins
    /// `namespace` (unless `nil`), and its socket there is called `<name>` in specs.
    func client(_ name: String, joining namespace: String? = "/", listener: Int = 0) throws -> TestClient {
        // The edge writes framed bytes below NIO's encoder; the reader turns all back into frames.
        let channel = EmbeddedChannel(handlers: [WrittenFrameReader(), WebSocketFrameEncoder()], loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "10.0.0.7", port: 40_000)).wait()
        let driver = edge.open(transport: .websocket, listener: listener, address: "10.0.0.7", cookie: nil, webSocket: channel,
                               incoming: nil)
        let client = TestClient(harness: self, name: name, channel: channel, driver: driver)
        loop.run()
        _ = try client.received()
        if let namespace {
            try client.send(namespace == "/" ? "40" : "40\(namespace),")
            try client.joined(from: client.received().first ?? "")
        }
        return client
    }

    /// Gives socket `sid` the name `<name>` in specs.
    func name(_ sid: String, _ name: String) {
        names.append((sid, "<\(name)>"))
    }

    /// Runs what waits on the loop.
    func run() { loop.run() }

    /// The events the edge sent since the last call, as specs.
    func sentEvents() -> [String] {
        let sent = bus.sent
        defer { eventsSeen = sent.count }
        return sent.dropFirst(eventsSeen).map { spec($0.event) }
    }

    /// The life facts the edge published since the last call, as specs (`life <kind> …`), without
    /// their stamps (`epoch`, `seq`: ``LifeStreamTests`` checks those).
    func facts() -> [String] {
        bus.takePublished().map { envelope in
            guard var body = try? envelope.decodeBody(as: [JSON].self), var fact = body.first?.objectValue else {
                return spec(envelope)
            }
            fact["epoch"] = nil
            fact["seq"] = nil
            body[0] = .object(fact)
            let unstamped = (try? Envelope(topic: envelope.topic, header: envelope.header, encoding: body)) ?? envelope
            return spec(unstamped)
        }
    }

    /// `<ns> <event> <header> <body>` for an event (`<topic> <event> …` for a life fact), with
    /// `+<hex>` per attachment. The header leaves out what every message has (`v`, `id`, `ts`,
    /// `from`, `type`, `traceparent`) and what the first two words say.
    func spec(_ envelope: Envelope) -> String {
        var header = (try? JSONCoding.decode(JSON.self, from: JSONCoding.encode(envelope.header)))?.objectValue ?? [:]
        for key in ["v", "id", "ts", "from", "type", "traceparent", "ns", "event"] { header[key] = nil }
        let first = envelope.header.type == .event ? envelope.header.ns ?? "/" : envelope.topic
        var text = "\(first) \(envelope.header.event ?? "-") \(JSON.object(header).jsonText) "
            + String(decoding: envelope.body, as: UTF8.self)
        for attachment in envelope.attachments {
            text += " +" + attachment.map { String(format: "%02x", $0) }.joined()
        }
        return named(text)
    }

    /// `text` with every client's socket id replaced by its name.
    func named(_ text: String) -> String {
        names.reduce(text) { $0.replacingOccurrences(of: $1.sid, with: $1.name) }
    }

    /// `text` with every name replaced by its socket id: a spec the edge can read.
    func unnamed(_ text: String) -> String {
        names.reduce(text) { $0.replacingOccurrences(of: $1.name, with: $1.sid) }
    }

    /// Answers sent event `index` (in sending order) with the instructions of `body`, a JSON list
    /// with names for socket ids, and `attachments`.
    @discardableResult
    func reply(to index: Int, _ body: String, attachments: [[UInt8]] = []) throws -> Envelope {
        let instructions = try JSONCoding.decode([Instruction].self, from: Data(unnamed(body).utf8))
        let reply = try bus.reply(to: bus.sent[index], instructions, attachments: attachments.map { Data($0) })
        loop.run()
        return reply
    }

    /// A message from the bus that no waiting event took (an emit, another edge's reply), whose
    /// body is `body` with names for socket ids.
    func receive(_ type: MessageType, _ body: String, re: String? = nil, attachments: [[UInt8]] = []) {
        let envelope = Envelope(topic: Topic.edge, header: BusHeader(type: type, from: "svc-1", re: re),
                                body: Data(unnamed(body).utf8), attachments: attachments.map { Data($0) })
        hub.receive(envelope)
        loop.run()
    }
}

/// One client of an ``EdgeHarness``: a WebSocket whose frames the test writes and reads.
final class TestClient {
    unowned let harness: EdgeHarness
    let name: String
    let channel: EmbeddedChannel
    let driver: ConnectionDriver
    /// Its socket id in the namespace it joined last.
    private(set) var sid = ""

    init(harness: EdgeHarness, name: String, channel: EmbeddedChannel, driver: ConnectionDriver) {
        self.harness = harness
        self.name = name
        self.channel = channel
        self.driver = driver
    }

    /// Sends a text frame (names in it become socket ids) and runs the loop.
    func send(_ text: String) throws {
        driver.engine(.frameReceived(.text(harness.unnamed(text)), on: .current), webSocket: channel)
        harness.run()
    }

    /// Sends a binary frame and runs the loop.
    func send(binary: [UInt8]) throws {
        driver.engine(.frameReceived(.binary(binary), on: .current), webSocket: channel)
        harness.run()
    }

    /// The frames the edge wrote since the last call: text as it is (socket ids as names),
    /// binary as `+<hex>`.
    func received() throws -> [String] {
        var frames: [String] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) {
            var data = frame.unmaskedData
            switch frame.opcode {
            case .text: frames.append(harness.named(data.readString(length: data.readableBytes) ?? ""))
            case .binary: frames.append("+" + (data.readBytes(length: data.readableBytes) ?? []).map { String(format: "%02x", $0) }.joined())
            default: frames.append("<\(frame.opcode)>")
            }
        }
        return frames
    }

    /// Takes the socket id of a CONNECT answer (`40{"sid":…}` or `40/ns,{"sid":…}`) as this client's.
    func joined(from answer: String) throws {
        guard let start = answer.range(of: "{\"sid\":\""), answer.hasPrefix("40") else {
            throw HarnessError("not a CONNECT answer: \(answer)")
        }
        sid = String(answer[start.upperBound...].prefix { $0 != "\"" })
        harness.name(sid, name)
    }
}

/// A harness step that did not go as the test expected.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
