import EngineIO
import NIOCore

/// Engine.IO sessions across loops. A session lives on the loop its handshake came in on, and
/// its id says which (``SocketID/make(loop:)``); a later request of it (a poll, a POST, the
/// WebSocket of an upgrade) may come in on any loop's connection, and is carried out on the
/// session's own loop, its answer written back on the loop of the connection it came on.
extension EdgeLoop {
    /// Runs `body` on the loop of session `sid` with its connection (`nil` when there is none,
    /// or it came in on another listener than `listener`). What `body` answers through its
    /// responder reaches `respond` on this loop. A session of this loop is served at once.
    func session(_ sid: String, listener: Int?, respond: @escaping Responder,
                 _ body: @escaping @Sendable (ConnectionDriver?, @escaping Responder) -> Void)
    {
        guard let home = hub.loop(ofSession: sid), !home.isSame(as: handle) else {
            body(driver(sid, listener: listener), respond)
            return
        }
        let back = NIOLoopBound(respond, eventLoop: eventLoop)
        let here = eventLoop
        home.execute { loop in
            body(loop.driver(sid, listener: listener)) { response in
                here.execute { back.value(response) }
            }
        }
    }

    /// `true` when session `sid` may exist: it is here, of the same endpoint (the plain Engine.IO
    /// endpoint of bus namespace `plain`, or Socket.IO's when `nil`), or its id names another of
    /// the edge's loops, which decides.
    func mayKnowSession(_ sid: String, plain: String?) -> Bool {
        guard let home = hub.loop(ofSession: sid), !home.isSame(as: handle) else {
            return driver(sid).map { $0.plain == plain } ?? false
        }
        return true
    }

    /// The HTTP connection `owner` held a pending poll and went away: every loop's sessions hear
    /// it (the poll may belong to a session of another loop).
    func pollAbandonedEverywhere(owner: ObjectIdentifier) {
        for other in hub.loops {
            if other.isSame(as: handle) {
                pollAbandoned(owner: owner)
            } else {
                other.execute { $0.pollAbandoned(owner: owner) }
            }
        }
    }
}

extension SocketID {
    /// A new random id, of an Engine.IO session or of a Socket.IO socket, whose first two
    /// characters name the loop it lives on (`loop` below 4,096), the other 18 random.
    static func make(loop: Int) -> String {
        precondition((0..<4096).contains(loop), "the edge serves on at most 4,096 loops")
        let prefix = [alphabet[loop / 64], alphabet[loop % 64]]
        return String(prefix) + make().dropFirst(2)
    }

    /// The loop a session id of ``make(loop:)`` names, or `nil` for an id it cannot have made.
    static func loop(of sid: String) -> Int? {
        let characters = sid.utf8.prefix(2)
        guard characters.count == 2, sid.utf8.count == 20,
              let high = position(of: characters.first!), let low = position(of: characters.last!)
        else { return nil }
        return high * 64 + low
    }

    /// The value of one base64url character.
    private static func position(of character: UInt8) -> Int? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(character - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(character - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(character - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
