extension EngineSession {
    /// Fires every deadline that has passed: close timeout, pong timeout, ping, upgrade timeout.
    mutating func timerFired(now: EngineTime, _ actions: inout [EngineAction]) {
        armedTimer = nil
        if let deadline = closeDeadline, deadline <= now {
            terminate(.forcedClose, &actions)
            return
        }
        if let deadline = pongDeadline, deadline <= now {
            terminate(.pingTimeout, &actions)
            return
        }
        if let deadline = nextPingAt, deadline <= now {
            nextPingAt = nil
            pongDeadline = now + configuration.pingTimeout
            enqueue([.ping], &actions)
        }
        if let deadline = upgradeDeadline, deadline <= now {
            abortUpgrade(closingProbe: true, &actions)
        }
    }

    /// A long-poll GET: refused after an upgrade or when one is already pending.
    mutating func pollArrived(_ actions: inout [EngineAction]) {
        switch phase {
        case .closed: actions.append(.respond(EngineError(.unknownSessionID).response))
        case .closing:
            outbox.append(.close)
            pollPending = true
            flushPoll(&actions)
            terminate(.forcedClose, &actions)
        case .open:
            guard transport == .polling else {
                actions.append(.respond(EngineError(.badRequest).response))
                return
            }
            guard !pollPending else {
                actions.append(.respond(.bareBadRequest))
                terminate(.transportError, &actions)
                return
            }
            pollPending = true
            flushPoll(&actions)
            if pollPending, upgrade == .probed {
                pollPending = false
                actions.append(.respondToPoll(.poll(EnginePacket.noop.text)))
            }
        }
    }

    /// The head of a POST: refused after an upgrade, when one is in progress, or when binary;
    /// a declared `length` past `maxPayload` gets its 413 at once, and the session goes on.
    mutating func postBegan(contentType: String?, length: Int?, _ actions: inout [EngineAction]) {
        if case .closed = phase {
            actions.append(.respond(EngineError(.unknownSessionID).response))
        } else if transport != .polling {
            actions.append(.respond(EngineError(.badRequest).response))
        } else if postPending || contentType == "application/octet-stream" {
            actions.append(.respond(.bareBadRequest))
            terminate(.transportError, &actions)
        } else if let length, length > configuration.maxPayload {
            actions.append(.respond(.payloadTooLarge))
        } else {
            postPending = true
        }
    }

    /// The body of the accepted POST: too large gets 413, otherwise its packets are applied
    /// and the answer is `ok` (also after a parse error, like the reference).
    mutating func postCompleted(body: [UInt8], now: EngineTime, _ actions: inout [EngineAction]) {
        guard postPending else {
            actions.append(.respond(.bareBadRequest))
            return
        }
        postPending = false
        guard body.count <= configuration.maxPayload else {
            actions.append(.respond(.payloadTooLarge))
            return
        }
        do {
            let packets = try EnginePacket.decodePayload(bytes: body)
            for packet in packets where phase == .open {
                received(packet, now: now, &actions)
            }
        } catch {
            if phase == .open { terminate(.parseError, &actions) }
        }
        actions.append(.respond(.ok))
    }

    /// A frame on the current WebSocket.
    mutating func currentFrame(_ frame: WebSocketFrame, now: EngineTime, _ actions: inout [EngineAction]) {
        guard phase == .open, transport == .websocket else { return }
        guard frame.byteCount <= configuration.maxPayload else {
            terminate(.transportError, &actions)
            return
        }
        do {
            received(try EnginePacket(frame: frame), now: now, &actions)
        } catch {
            terminate(.parseError, &actions)
        }
    }

    /// A text frame that is not UTF-8: its WebSocket closes with 1007. On the current WebSocket
    /// the session ends ("transport error", as the reference's `ws` reports it); on a probe the
    /// upgrade is dropped and the session goes on polling.
    mutating func invalidTextFrame(on channel: WebSocketChannel, _ actions: inout [EngineAction]) {
        guard phase == .open else { return }
        switch channel {
        case .current:
            guard transport == .websocket else { return }
            terminate(.transportError, code: .invalidPayload, &actions)
        case .probe:
            guard isUpgrading else { return }
            actions.append(.closeWebSocket(.probe, code: .invalidPayload))
            abortUpgrade(closingProbe: false, &actions)
        }
    }

    /// A packet from the client on the current transport.
    mutating func received(_ packet: EnginePacket, now: EngineTime, _ actions: inout [EngineAction]) {
        switch packet.type {
        case .pong:
            pongDeadline = nil
            nextPingAt = now + configuration.pingInterval
        case .message:
            // A message without data is handed on too: the upper layer decides it is malformed.
            actions.append(.deliver(packet.data ?? .text("")))
        case .ping:
            terminate(.transportError, &actions)
        case .close:
            // Like the reference's polling transport, a client's close releases a waiting GET
            // with a noop (the close packet goes only to a server-side close).
            if pollPending {
                pollPending = false
                actions.append(.respondToPoll(.poll(EnginePacket.noop.text)))
            }
            terminate(.transportClose, &actions)
        case .open, .upgrade, .noop:
            break
        }
    }

    /// A connection ended on the client's side.
    mutating func channelClosed(_ channel: EngineChannel, _ actions: inout [EngineAction]) {
        switch channel {
        case .poll where pollPending:
            pollPending = false
            terminate(.transportError, &actions)
        case .post where postPending:
            postPending = false
            terminate(.transportError, &actions)
        case .webSocket(.current) where transport == .websocket:
            terminate(.transportClose, &actions)
        case .webSocket(.probe):
            abortUpgrade(closingProbe: false, &actions)
        default:
            break
        }
    }
}
