import Contracts
import Foundation

/// An HTTP route a service announced in its hello as `{"ns": "http", "event": "<METHOD> <pattern>"}`
/// (`ns` `<app>:http` for a listener of app `<app>`), e.g. `GET /api/channels/:id/messages`. A pattern segment starting with `:` matches exactly one
/// non-empty path segment and names it; every other segment must equal the path's (after
/// percent-decoding). A plain value: matching needs no NIO and no bus.
struct HTTPRoute: Sendable, Hashable {
    /// One segment of a pattern.
    enum Segment: Sendable, Hashable {
        /// Must equal the path's segment.
        case literal(String)
        /// Matches any one non-empty segment, named so.
        case parameter(String)
    }

    /// The announced text, e.g. `GET /api/channels/:id/messages` (the event header's `event`).
    let text: String
    /// The method, e.g. `GET`.
    let method: String
    /// The pattern's segments, between the slashes.
    let segments: [Segment]

    /// Reads an announced route; `nil` when it is not `<METHOD> /<pattern>` (a method of
    /// letters, a pattern starting with `/`, parameters with a name).
    init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isLetter && $0.isASCII }),
              parts[1].hasPrefix("/") else { return nil }
        var segments: [Segment] = []
        for piece in parts[1].dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if piece.hasPrefix(":") {
                guard piece.count > 1 else { return nil }
                segments.append(.parameter(String(piece.dropFirst())))
            } else {
                segments.append(.literal(String(piece)))
            }
        }
        self.text = text
        method = String(parts[0]).uppercased()
        self.segments = segments
    }

    /// The parameters when `method` and the decoded path `segments` match, else `nil`.
    func match(method: String, segments path: [String]) -> [String: String]? {
        guard method == self.method, path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, piece) in zip(segments, path) {
            switch segment {
            case .literal(let literal):
                guard piece == literal else { return nil }
            case .parameter(let name):
                guard !piece.isEmpty else { return nil }
                parameters[name] = piece
            }
        }
        return parameters
    }

    /// `true` when this route should win over `other` where both match: at the first segment
    /// where one has a literal and the other a parameter, the literal wins; otherwise the text
    /// decides, so the choice never depends on the order routes were heard in.
    func precedes(_ other: HTTPRoute) -> Bool {
        for (mine, theirs) in zip(segments, other.segments) {
            switch (mine, theirs) {
            case (.literal, .parameter): return true
            case (.parameter, .literal): return false
            default: continue
            }
        }
        return text < other.text
    }
}

/// The HTTP routes heard in hellos, with the service that announced each: what the edge
/// matches a plain HTTP request against. Routes are kept per HTTP namespace (`http`, or
/// `<app>:http`: ``Contracts/Route/httpNamespace(of:)``), so each app has its own. As with events, a route stays after its service is
/// gone (requests then wait for it within the delivery bound) and the service heard last wins.
struct HTTPRouteTable: Sendable {
    /// A matched request: the route, its service and the path's parameters.
    struct Match: Sendable, Equatable {
        /// The route that matched.
        var route: HTTPRoute
        /// The service that announced it.
        var service: String
        /// The parameters by name, percent-decoded.
        var parameters: [String: String]
    }

    /// Routes by their HTTP namespace and announced text.
    private(set) var routes: [Route: (route: HTTPRoute, service: String)] = [:]

    /// An empty table.
    init() {}

    /// Records `text` as announced by `service` on HTTP namespace `namespace`. Returns `false`
    /// when the text is not a route.
    @discardableResult
    mutating func announce(_ text: String, in namespace: String, service: String) -> Bool {
        guard let route = HTTPRoute(text) else { return false }
        routes[Route(ns: namespace, event: text)] = (route, service)
        return true
    }

    /// The best route of HTTP namespace `namespace` for `method` and `path` (the request target
    /// without its query), or `nil` when none matches. Throws ``HTTPRequestError/badRequest``
    /// when the path's percent-encoding is broken.
    func match(in namespace: String, method: String, path: String) throws(HTTPRequestError) -> Match? {
        guard path.hasPrefix("/") else { return nil }
        var segments: [String] = []
        for piece in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let decoded = String(piece).removingPercentEncoding else { throw .badRequest }
            segments.append(decoded)
        }
        var best: Match?
        for (key, (route, service)) in routes where key.ns == namespace {
            guard let parameters = route.match(method: method, segments: segments) else { continue }
            if let current = best, !route.precedes(current.route) { continue }
            best = Match(route: route, service: service, parameters: parameters)
        }
        return best
    }
}
