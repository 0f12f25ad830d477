import Contracts
import Foundation
import Logging
import ServiceKit

/// The call service on the bus (see docs/call.md): ``CallBook`` behind ``CallEngine``, its
/// state in `<SWITCHBOARD_DATA>/call.sqlite`, deadlines fired by a background timer.
public enum CallService {
    /// The seed event: namespace `""` (a request between processes), one argument, the document.
    public static let seedRoute = Route(ns: "", event: "seed")

    /// The service definition for `settings`.
    public static func definition(settings: CallSettings = CallSettings(),
                                  logger: Logger = Logger(label: "call")) -> ServiceDefinition {
        definition(engine: CallEngine(settings: settings, logger: logger))
    }

    /// The definition around an existing engine (tests reach the engine).
    static func definition(engine: CallEngine) -> ServiceDefinition {
        var definition = ServiceDefinition(name: "call")
        definition.migrations = { CallStore.migrate(&$0) }
        for route in CallBook.routes {
            definition.on(route.ns, route.event) { event, context in try await engine.clientEvent(event, context: context) }
        }
        for namespace in [CallBook.userNamespace, CallBook.telecallerNamespace] {
            definition.on(namespace, "connect") { event, _ in engine.decide(event) }
        }
        definition.on(seedRoute.ns, seedRoute.event) { event, context in try await engine.seed(event, context: context) }
        CallFailures.declare(in: &definition)
        definition.mirrorSockets(startTimeout: engine.settings.rebuildTimeout) { update, context in
            try await engine.sockets(update, context: context)
        }
        definition.onStart = { control in try await engine.start(control) }
        definition.background { control in await engine.runTimer(control) }
        return definition
    }
}
