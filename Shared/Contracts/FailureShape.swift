/// What a client gets when one of a service's events fails: the event could not be delivered
/// within the delivery bound (or was refused on the publishing side), or the service answered it
/// with an `error` reply. A service declares it in its hello (`failures`, docs/bus-protocol.md
/// §9), per `(ns, event)` or for every event of a namespace (`event: "*"`), and the edge answers
/// the client with it instead of its default `{"error": code}` ack.
///
/// Templates are plain JSON. A string value that is exactly one of the markers below, anywhere
/// in a template, is replaced when the edge uses it:
///
/// | marker | replaced by |
/// | --- | --- |
/// | `{{code}}` | the failure's code: `SERVICE_UNAVAILABLE`, `INTERNAL_ERROR`, `UNKNOWN_EVENT`, … |
/// | `{{event}}` | the client's event name (or the HTTP route's `<METHOD> <pattern>`) |
/// | `{{timestamp}}` | the edge's clock when it answers, ISO 8601 UTC with milliseconds |
public struct FailureShape: Codable, Sendable, Equatable {
    /// The namespace of the event, `http` for an HTTP route.
    public var ns: String
    /// The event (the route text for `http`), or ``anyEvent`` for every event of `ns` that has
    /// no declaration of its own, including events no service announced.
    public var event: String
    /// The arguments of the ack a client that asked for one gets. Absent: `[{"error": code}]`.
    public var ack: [JSON]?
    /// An event emitted to the sending socket alone, whether it asked for an ack or not.
    public var emit: Emit?
    /// `http` routes: the body of every error response the edge writes for the route itself
    /// (401, 404 of a gone route, 500, 503), in place of `{"error": code}`; the status stays.
    public var body: JSON?

    /// An event to the sender: its name and arguments (templates).
    public struct Emit: Codable, Sendable, Equatable {
        /// The event name the client receives, e.g. `call:error`.
        public var event: String
        /// Its arguments.
        public var args: [JSON]

        /// An emit of `event` with `args`.
        public init(event: String, args: [JSON]) {
            self.event = event
            self.args = args
        }
    }

    /// The `event` that declares the shape of every event of a namespace without its own.
    public static let anyEvent = "*"

    /// A declaration for `event` on `ns`; give at least one of `ack`, `emit`, `body`.
    public init(ns: String, event: String, ack: [JSON]? = nil, emit: Emit? = nil, body: JSON? = nil) {
        self.ns = ns
        self.event = event
        self.ack = ack
        self.emit = emit
        self.body = body
    }

    /// The route it declares.
    public var route: Route { Route(ns: ns, event: event) }

    /// `template` with its markers replaced (see the type's table); other values stay as they are.
    public static func fill(_ template: JSON, code: String, event: String, now milliseconds: Int64) -> JSON {
        switch template {
        case .string("{{code}}"): .string(code)
        case .string("{{event}}"): .string(event)
        case .string("{{timestamp}}"): .string(Timestamp.iso8601(milliseconds))
        case .array(let elements): .array(elements.map { fill($0, code: code, event: event, now: milliseconds) })
        case .object(let members): .object(members.mapValues { fill($0, code: code, event: event, now: milliseconds) })
        default: template
        }
    }
}

/// The failure shapes heard in hellos, looked up for a failed event: its own declaration, else
/// its namespace's ``FailureShape/anyEvent``. As with routes, the hello heard last wins and a
/// declaration stays known after its service is gone.
public struct FailureShapeTable: Sendable {
    private var shapes: [Route: FailureShape] = [:]

    /// An empty table.
    public init() {}

    /// Records every declaration of a hello (replacing older ones of the same route).
    public mutating func note(_ declarations: [FailureShape]) {
        for shape in declarations { shapes[shape.route] = shape }
    }

    /// The shape for `route`, or for every event of its namespace; `nil` when none is declared.
    public func shape(for route: Route) -> FailureShape? {
        shapes[route] ?? shapes[Route(ns: route.ns, event: FailureShape.anyEvent)]
    }
}
