import Foundation
import NIOCore

/// One socket of `switchboard-bench socketio --scenario rooms|room`. It joins its room with the
/// join event (acked), sends the send event with an ack carrying a marked payload
/// `"sb:<member>:<sequence>:<uptime ns>:xx…"`, and counts every receive event that carries
/// another member's payload as a delivery, with its delay. In `rooms` every member sends the
/// next message when the ack of its last one comes back; in `room` only the sender sends, as
/// its ``BroadcastWindow`` allows. Only its channel's event loop touches its state.
final class RoomBenchMember: @unchecked Sendable {
    /// The member's number (the sender of `room` is the one after the receivers).
    let index: Int
    /// The events of the run.
    let events: RoomBenchEvents
    /// Its room's name, e.g. `bench-0`.
    let room: String
    /// Where deliveries are counted.
    let tally: DeliveryTally
    /// The sender's window in `room`; `nil` in `rooms` (every member paced by its acks).
    let window: BroadcastWindow?
    /// The connection, once open.
    var connection: EdgeBenchDialer.Opened?
    /// Succeeded once the join was acked, failed when it was refused.
    let joined: EventLoopPromise<Void>
    private var sequence = 0

    /// A member of `room`; `joined` is completed on the connection's event loop.
    init(index: Int, events: RoomBenchEvents, room: String, tally: DeliveryTally, window: BroadcastWindow?,
         joined: EventLoopPromise<Void>)
    {
        self.index = index
        self.events = events
        self.room = room
        self.tally = tally
        self.window = window
        self.joined = joined
    }

    /// Sends the join event; its ack completes `joined`.
    func join() {
        let joined = joined
        emit(events.join(room: room)) { ack in
            if ack.starts(with: Self.errorPrefix) {
                joined.fail(EdgeBenchFailure(description: "join refused: \(String(decoding: ack, as: UTF8.self))"))
            } else {
                joined.succeed()
            }
        }
    }

    /// Sends the next message unless the run is over; in `rooms` its ack sends the one after.
    func sendNext() {
        guard tally.isRunning else { return }
        sequence += 1
        window?.sent(sequence)
        let payload = "\"sb:\(index):\(sequence):\(DispatchTime.now().uptimeNanoseconds):\(events.padding)\""
        let paced = window == nil
        emit(events.send(room: room, payload: payload)) { [self] ack in
            if ack.starts(with: Self.errorPrefix) { tally.refused() }
            if paced { sendNext() }
        }
    }

    /// An event from the server (the Socket.IO part after `42`): a delivery when it is the
    /// receive event with another member's payload.
    func received(_ bytes: ArraySlice<UInt8>) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard bytes.starts(with: events.receivePrefix), let mark = Self.mark(in: bytes), mark.sender != index else { return }
        tally.delivered(nanoseconds: now > mark.sent ? now - mark.sent : 0)
        window?.delivered(mark.sequence)
    }

    /// Emits `arguments` with an ack on the connection's event loop.
    private func emit(_ arguments: String, ack: @escaping EdgeBenchConnection.AckHandler) {
        guard let connection else { return }
        connection.client.eventLoop.execute { connection.client.value.emit(arguments, ack: ack) }
    }

    /// How an error ack's arguments begin.
    private static let errorPrefix = Array("[{\"error\"".utf8)

    /// The sender, sequence number and send time of the first payload mark `"sb:…` in `bytes`.
    static func mark(in bytes: ArraySlice<UInt8>) -> (sender: Int, sequence: Int, sent: UInt64)? {
        let quote = UInt8(ascii: "\""), s = UInt8(ascii: "s"), b = UInt8(ascii: "b"), colon = UInt8(ascii: ":")
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == quote, bytes[index + 1] == s, bytes[index + 2] == b, bytes[index + 3] == colon { break }
            index += 1
        }
        guard index + 3 < bytes.endIndex else { return nil }
        index += 4
        var numbers: [UInt64] = []
        while numbers.count < 3 {
            var value: UInt64 = 0
            let start = index
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                value = value &* 10 &+ UInt64(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > start, index < bytes.endIndex, bytes[index] == colon else { return nil }
            numbers.append(value)
            index += 1
        }
        return (Int(numbers[0]), Int(numbers[1]), numbers[2])
    }
}
