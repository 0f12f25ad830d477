import Bus
import Contracts
import Foundation
import Logging
import Synchronization

/// A service's ``EdgeMirror`` behind a lock, fed by the handler loop only: life facts, the
/// edges' hellos, and two signals the runtime puts in the loop's queue (an edge gone, the start
/// over), so that every step is applied by the service in the order the mirror took it.
final class SocketMirror: Sendable {
    /// The topic of the signals: no bus message comes on it (nothing subscribes to it).
    static let signalTopic = "servicekit.mirror"
    /// The signal that the edge named by the header's `from` went silent.
    static let goneSignal = "gone"
    /// The signal that start-up collected what snapshots it could.
    static let startSignal = "start"

    let state = Mutex(EdgeMirror())
    /// Set once the loop handed on the initial state.
    let started = Mutex(false)

    /// A signal for the handler loop's queue.
    static func signal(_ name: String, from instance: String) -> Envelope {
        var header = BusHeader(type: .life, from: instance)
        header.event = name
        return Envelope(topic: signalTopic, header: header, body: Data("[]".utf8))
    }
}

extension ServiceRuntime {
    /// Start-up of a mirroring service: waits a hello interval and a little (every live edge has
    /// said hello and been asked for a snapshot; edges say hello every second by default, whatever
    /// this service's interval), then until every edge asked has answered or the start timeout
    /// passed, then has the handler loop hand on the initial state and waits for it.
    func collectSnapshots(_ mirror: SocketMirror, queue: MessageQueue) async {
        try? await Task.sleep(for: .milliseconds(max(configuration.helloIntervalMilliseconds, 1000) + 200))
        let deadline = ContinuousClock.now + definition.mirrorStartTimeout
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if mirror.state.withLock({ $0.awaiting.isEmpty }) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        queue.append([SocketMirror.signal(SocketMirror.startSignal, from: configuration.instance)])
        while !mirror.started.withLock({ $0 }), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let (edges, sockets) = mirror.state.withLock { mirror in
            (mirror.parts.count, mirror.parts.values.reduce(0) { $0 + $1.sockets.count })
        }
        logger.info("rebuilt from the edges", metadata: ["edges": "\(edges)", "sockets": "\(sockets)"])
    }

    /// A message of the handler loop for the mirror: a life fact, a hello, or a signal. Its step
    /// asks edges for snapshots at once and hands its changes to the service's socket handler,
    /// whose instructions go out as an `emit` after the batch.
    func feedMirror(_ envelope: Envelope, _ mirror: SocketMirror, context: Context, on connection: BusConnection) async {
        let now = Clock.millisecondsSinceEpoch()
        let header = envelope.header
        var signalledStart = false
        let step: EdgeMirror.Step
        switch (envelope.topic, header.type) {
        case (SocketMirror.signalTopic, _) where header.event == SocketMirror.startSignal:
            signalledStart = true
            step = mirror.state.withLock { $0.finishStart() }
        case (SocketMirror.signalTopic, _):
            step = mirror.state.withLock { $0.gone(header.from) }
        case (_, .hello):
            guard let hello = try? envelope.decodeBody(as: Hello.self), hello.service == "edge", hello.ready
            else { return }
            step = mirror.state.withLock { $0.heard(hello.instance, stream: hello.lifeStream, now: now) }
        default:
            let record: LifeRecord
            do {
                record = try LifeRecord(header: header, body: envelope.decodeBody(as: JSON.self))
            } catch {
                logger.warning("life fact not read: \(error)", metadata: ["from": "\(header.from)"])
                return
            }
            step = mirror.state.withLock { $0.receive(record, now: now) }
        }
        for edge in step.requests { requestSnapshot(of: edge, on: connection) }
        if !step.changes.isEmpty || step.isInitial, let handler = definition.socketHandler {
            do {
                let update = SocketUpdate(changes: step.changes, cause: step.cause, parts: step.parts)
                let instructions = try await handler(update, context)
                if !instructions.isEmpty { context.emit(instructions, attachments: context.reply.attachments) }
            } catch {
                logger.error("socket handler failed: \(error)")
            }
        }
        if signalledStart { mirror.started.withLock { $0 = true } }
    }

    /// Asks edge `edge` for a snapshot: a `resync` event on `edge` naming it.
    private func requestSnapshot(of edge: String, on connection: BusConnection) {
        logger.info("asking an edge for a snapshot", metadata: ["edge": "\(edge)"])
        connection.publish(.resync(asking: [edge], from: configuration.instance))
    }
}
