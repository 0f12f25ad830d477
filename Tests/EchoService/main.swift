import Foundation
import ServiceKit

let delay = ProcessInfo.processInfo.environment["ECHO_DELAY_MS"].flatMap(Int.init) ?? 0
await ServiceMain.run(EchoService.definition(delayMilliseconds: delay))
