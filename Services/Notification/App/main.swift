// `notification`: HomeAssistant's notifications, stored and delivered per user (see docs/notification.md).
// NOTIFICATION_NAMESPACES: the namespaces whose client events it answers (default `/` and
// `homeassistant/`, HomeAssistant's app on an edge with apps, docs/edge.md "Apps").
// NOTIFICATION_GROUP_NAMESPACE: where group notifications asked on the bus are delivered
// (default: the first of NOTIFICATION_NAMESPACES).
import Foundation
import Notification
import ServiceKit

let environment = ProcessInfo.processInfo.environment
let namespaces = environment["NOTIFICATION_NAMESPACES"]?
    .split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
await ServiceMain.run(NotificationService.definition(namespaces: namespaces ?? ["/", "homeassistant/"],
                                                     groupNamespace: environment["NOTIFICATION_GROUP_NAMESPACE"]))
