import EngageEvents
import RelayConfig

/// One `route` line: event patterns and the sinks they lead to.
public struct Route: Sendable {
    /// The patterns; an event matches when any matches.
    public var patterns: [EventPattern]
    /// The `where` filter, when the route has one.
    public var filter: RouteFilter?
    /// The sink names, in the order written.
    public var sinks: [String]
    /// Where the route is written, for diagnostics.
    public var range: SourceRange?

    /// Creates a route.
    public init(patterns: [EventPattern], filter: RouteFilter? = nil, sinks: [String], range: SourceRange? = nil) {
        self.patterns = patterns
        self.filter = filter
        self.sinks = sinks
        self.range = range
    }

    /// Whether the event's type matches one of the patterns and the filter (if any) holds.
    public func matches(_ event: EngageEvent) -> Bool {
        patterns.contains { $0.matches(event.type) } && (filter?.evaluate(event) ?? true)
    }
}

/// Every route of a config; matches an event to the sinks it must reach.
public struct RouteTable: Sendable {
    /// The routes in config order.
    public let routes: [Route]

    /// Creates a table from routes.
    public init(_ routes: [Route]) { self.routes = routes }

    /// The sinks of every matching route, each once, in first-match order.
    public func match(_ event: EngageEvent) -> [String] {
        var sinks: [String] = []
        for route in routes where route.matches(event) {
            for sink in route.sinks where !sinks.contains(sink) {
                sinks.append(sink)
            }
        }
        return sinks
    }
}
