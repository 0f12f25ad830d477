import Contracts
import Foundation

/// What each role may publish and read on the bus (docs/operations.md, "Roles"), checked by the
/// bus on every message and every subscription of a connection with keys.
enum ProxyRules {
    /// Why a message was refused; `nil` when `role` may publish it. `body` is read for hellos only.
    static func refusal(role: BusRole, topic: Substring, header: BusHeader, body: () -> Data) -> String? {
        switch role {
        case .edge:
            switch header.type {
            case .event: return topic.hasPrefix("svc.") ? nil : "an edge's event outside svc.*"
            case .life: return topic == "life" ? nil : "a life fact outside life"
            case .hello: return helloRefusal(topic: topic, body: body(), service: nil, handles: false)
            case .reply, .emit: return "an edge publishing \(header.type.rawValue)"
            }
        case .service(let name):
            guard header.from == name || header.from.hasPrefix(name + "-") else {
                return "from names another process than service \(name)"
            }
            switch header.type {
            case .hello:
                return helloRefusal(topic: topic, body: body(), service: name, handles: true)
            case .reply, .emit:
                let toEdges = topic == "edge" || topic.hasPrefix("edge.") || topic.hasPrefix("inbox.")
                return toEdges ? nil : "a \(header.type.rawValue) outside edge, edge.* and inbox.*"
            case .event:
                if header.user != nil { return "an identity header from a service" }
                return topic.hasPrefix("svc.") || topic == "edge" ? nil : "an event outside svc.* and edge"
            case .life:
                return "a life fact from a service"
            }
        case .operator:
            switch header.type {
            case .event:
                // A resync on `edge` only makes the edges publish snapshots of what they hold.
                if topic == "edge", header.event == Resync.event { return nil }
                return topic.hasPrefix("svc.") ? nil : "an operator's event outside svc.* (or resync on edge)"
            case .hello: return helloRefusal(topic: topic, body: body(), service: nil, handles: false)
            case .reply, .emit, .life: return "an operator publishing \(header.type.rawValue)"
            }
        case .observer:
            guard header.type == .hello else { return "an observer publishing \(header.type.rawValue)" }
            return helloRefusal(topic: topic, body: body(), service: nil, handles: false)
        }
    }

    /// Whether `role` may subscribe to every topic starting with `prefix`.
    static func mayRead(role: BusRole, prefix: Substring) -> Bool {
        switch role {
        case .operator, .observer:
            return true
        case .edge:
            return ["edge", "hello", "inbox."].contains { prefix.hasPrefix($0) }
        case .service(let name):
            // `svc.<name>` exactly: a prefix would also take in `svc.<name>x`'s events.
            return prefix == "svc.\(name)" || ["edge", "hello", "inbox.", "life"].contains { prefix.hasPrefix($0) }
        }
    }

    /// A hello must be on `hello`, name `service` (when given), and announce no routes unless
    /// `handles` (a service's); otherwise a key could take over another service's events.
    private static func helloRefusal(topic: Substring, body: Data, service: String?, handles: Bool) -> String? {
        guard topic == "hello" else { return "a hello outside hello" }
        guard let hello = try? JSONCoding.decode(Hello.self, from: body) else { return "a malformed hello" }
        if let service, hello.service != service { return "a hello as service \(hello.service)" }
        if !handles, !hello.handles.isEmpty { return "a hello announcing routes without a service key" }
        return nil
    }
}
