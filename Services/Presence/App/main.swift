// `presence`: who is online, per user, per room, per server (see docs/presence.md).
// PRESENCE_NAMESPACES: the namespaces whose client events presence answers (default: HomeAssistant's
// on `/` and `homeassistant/`, the audio rooms' on `/` and `audio/`).
import Foundation
import Presence
import ServiceKit

let namespaces = ProcessInfo.processInfo.environment["PRESENCE_NAMESPACES"]?
    .split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
await ServiceMain.run(namespaces.map { PresenceService.definition(namespaces: $0) } ?? PresenceService.definition())
