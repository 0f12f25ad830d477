// `call`: the telecaller calling flow (see docs/call.md).
import Call
import Foundation
import ServiceKit

await ServiceMain.run(CallService.definition(settings: CallSettings(environment: ProcessInfo.processInfo.environment)))
