/// Apps: the listeners of an edge grouped into separate worlds (docs/edge.md, "Apps").
///
/// A listener may name an `app`. On the bus, a socket namespace of a listener of app `A` is the
/// namespace `A` followed by the client's namespace: `/` of app `zizany` is `zizany/`, `/user` of
/// app `telecaller` is `telecaller/user`. Everything the edge and the services key by namespace is
/// therefore kept apart per app: routes (a service serves an app by announcing its events on the
/// app's namespaces), rooms, `all` broadcasts, users, life facts and every service's state. The
/// listeners of no app share the unnamed app, whose bus namespaces are the client's own, so a
/// configuration without apps works as before. A bus namespace of an app never starts with `/`, so
/// it cannot be taken for a client namespace of the unnamed app (nor for `http`, `engine.io` or
/// `""`, which have no `/`).
enum EdgeApps {
    /// `true` for a usable app name: 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                return true
            default:
                return false
            }
        }
    }

    /// The bus namespace of client namespace `namespace` (`/…`) in `app` (`nil`: the unnamed app).
    static func busNamespace(_ namespace: String, app: String?) -> String {
        guard let app else { return namespace }
        return app + namespace
    }

    /// The client namespace of bus namespace `namespace`: what follows the app's name, from its
    /// first `/`; a namespace of the unnamed app (or one without `/`) as it is.
    static func clientNamespace(_ namespace: String) -> String {
        guard !namespace.hasPrefix("/"), let slash = namespace.firstIndex(of: "/") else { return namespace }
        return String(namespace[slash...])
    }
}
