import Foundation
import ServiceKit

let delay = ProcessInfo.processInfo.environment["ECHO_DELAY_MS"].flatMap(Int.init) ?? 0
let greets = ProcessInfo.processInfo.environment["ECHO_GREETS"] == "1"
await ServiceMain.run(EchoService.definition(delayMilliseconds: delay, greets: greets))
