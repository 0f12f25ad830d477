import Contracts
import Foundation
import NIOCore

/// One Zizany member of `switchboard-bench chat`: a socket in `channel:{id}` that sends
/// `message:create` and, closed loop, the next one when its own `message:new` comes back.
/// The content carries who sent it, a sequence number and the send time, so every other
/// member can measure the delivery delay. Only its channel's event loop touches its state.
final class ChatBenchMember: @unchecked Sendable {
    /// The member's index among all members (its user is `idBase + index`).
    let index: Int
    /// The channel (and server) id of its room.
    let channel: Int64
    /// Where the deliveries are counted.
    let tally: DeliveryTally
    /// The connection, once open.
    var connection: EdgeBenchDialer.Opened?
    /// Succeeded once `channel:joined` arrived.
    let joined: EventLoopPromise<Void>
    private var sequence = 0

    /// A member of room `channel`; `joined` is completed on the connection's event loop.
    init(index: Int, channel: Int64, tally: DeliveryTally, joined: EventLoopPromise<Void>) {
        self.index = index
        self.channel = channel
        self.tally = tally
        self.joined = joined
    }

    /// Joins the server and the channel (Zizany's two steps).
    func join() {
        emit("[\"server:join\",{\"serverId\":\(channel)}]")
        emit("[\"channel:join\",{\"channelId\":\(channel)}]")
    }

    /// Sends the next message unless the run is over.
    func sendNext() {
        guard tally.isRunning else { return }
        sequence += 1
        let content = "\(index):\(sequence):\(DispatchTime.now().uptimeNanoseconds)"
        emit("[\"message:create\",{\"channelId\":\(channel),\"content\":\"\(content)\"}]")
    }

    /// An event from the server (`[name, args…]`).
    func received(_ bytes: ArraySlice<UInt8>) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard let event = try? JSONCoding.decode(JSON.self, from: Data(bytes)), let name = event[0]?.stringValue else {
            return
        }
        switch name {
        case "channel:joined":
            joined.succeed()
        case "message:new":
            guard let parts = event[1]?["content"]?.stringValue?.split(separator: ":"), parts.count == 3,
                  let sender = Int(parts[0]), let sent = UInt64(parts[2])
            else { return }
            if sender == index {
                sendNext()
            } else {
                tally.delivered(nanoseconds: now > sent ? now - sent : 0)
            }
        case let other where other.hasPrefix("error:"):
            tally.refused()
        default:
            break
        }
    }

    private func emit(_ arguments: String) {
        guard let connection else { return }
        connection.client.eventLoop.execute { connection.client.value.emit(arguments) }
    }
}
