extension EngineSession {
    /// Whether the session is in the middle of an upgrade (a probe WebSocket is open).
    public var isUpgrading: Bool { upgrade == .probing || upgrade == .probed }

    /// A WebSocket for this sid: accepted once, for an open polling session allowed to upgrade.
    mutating func upgradeRequested(now: EngineTime, _ actions: inout [EngineAction]) {
        guard phase == .open, transport == .polling, upgrade == .none,
              configuration.upgrades.contains(.websocket)
        else {
            actions.append(.refuseUpgrade)
            return
        }
        upgrade = .probing
        upgradeDeadline = now + configuration.upgradeTimeout
        actions.append(.acceptUpgrade)
    }

    /// A frame on the probe WebSocket: `2probe` is answered `3probe` (and a pending GET is
    /// released with a noop so the client can pause polling); `5` completes the upgrade;
    /// anything else drops the probe.
    mutating func probeFrame(_ frame: WebSocketFrame, _ actions: inout [EngineAction]) {
        guard phase == .open, isUpgrading else { return }
        let packet = try? EnginePacket(frame: frame)
        if packet == .probePing, upgrade == .probing {
            upgrade = .probed
            actions.append(.sendFrames([EnginePacket.probePong.frame], on: .probe))
            if pollPending {
                pollPending = false
                actions.append(.respondToPoll(.poll(EnginePacket.noop.text)))
            }
        } else if packet?.type == .upgrade {
            completeUpgrade(&actions)
        } else {
            abortUpgrade(closingProbe: true, &actions)
        }
    }

    /// Switches to the probe WebSocket and sends it what polling had not delivered yet.
    mutating func completeUpgrade(_ actions: inout [EngineAction]) {
        upgrade = .done
        upgradeDeadline = nil
        transport = .websocket
        if pollPending {
            pollPending = false
            actions.append(.respondToPoll(.poll(EnginePacket.noop.text)))
        }
        actions.append(.completeUpgrade)
        let waiting = outbox
        outbox = []
        enqueue(waiting, &actions)
    }

    /// Gives up the upgrade; the session goes on polling and may try again.
    mutating func abortUpgrade(closingProbe: Bool, _ actions: inout [EngineAction]) {
        guard isUpgrading else { return }
        upgrade = .none
        upgradeDeadline = nil
        if closingProbe { actions.append(.closeWebSocket(.probe)) }
    }
}
