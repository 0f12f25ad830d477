// `chat`: Zizany servers and channels, Chatto rooms, HomeAssistant conversations (see docs/chat.md).
// CHAT_NAMESPACES: the namespaces whose client events it answers (default `/`).
import Chat
import Foundation
import ServiceKit

await ServiceMain.run(ChatService.definition(ChatService.Configuration(environment: ProcessInfo.processInfo.environment)))
