import Foundation

/// Which events to list; every set field narrows the result.
public struct EventQuery: Sendable, Equatable {
    /// Exact event type.
    public var type: String?
    /// Events with at least one delivery in this state.
    public var deliveryState: DeliveryState?
    /// Event state.
    public var eventState: StoredEventState?
    /// Events with a delivery to this sink.
    public var sink: String?
    /// Received at or after.
    public var since: Date?
    /// Received before.
    public var until: Date?
    /// At most this many.
    public var limit: Int

    /// Creates a query.
    public init(
        type: String? = nil, deliveryState: DeliveryState? = nil, eventState: StoredEventState? = nil,
        sink: String? = nil, since: Date? = nil, until: Date? = nil, limit: Int = 100
    ) {
        self.type = type
        self.deliveryState = deliveryState
        self.eventState = eventState
        self.sink = sink
        self.since = since
        self.until = until
        self.limit = limit
    }
}

/// Which events (and deliveries) a replay, retry or purge acts on.
public struct ReplaySelection: Sendable, Equatable {
    /// Event ids or message ids.
    public var ids: [String]
    /// Only deliveries to this sink (and, for replay, only this sink).
    public var sink: String?
    /// Only events with a delivery in this state.
    public var deliveryState: DeliveryState?
    /// Only events in this state.
    public var eventState: StoredEventState?
    /// Received at or after.
    public var since: Date?
    /// Received before.
    public var until: Date?

    /// Creates a selection.
    public init(
        ids: [String] = [], sink: String? = nil, deliveryState: DeliveryState? = nil,
        eventState: StoredEventState? = nil, since: Date? = nil, until: Date? = nil
    ) {
        self.ids = ids
        self.sink = sink
        self.deliveryState = deliveryState
        self.eventState = eventState
        self.since = since
        self.until = until
    }
}

extension ReplaySelection {
    /// The sinks a replay of `event` queues: `routed` (the sinks current routes name for it), narrowed to ``sink``
    /// when set (which may also name a sink the event had a delivery to before routes changed), and to the sinks
    /// whose delivery is in ``deliveryState`` when set, so retrying dead letters never re-sends what was delivered.
    public func targets(of event: StoredEvent, routed: [String]) -> [String] {
        var targets: [String] = []
        for sink in routed where !targets.contains(sink) { targets.append(sink) }
        if let only = sink {
            let hadDelivery = event.deliveries.contains { $0.sink == only }
            targets = targets.contains(only) || hadDelivery ? [only] : []
        }
        if let state = deliveryState {
            targets = targets.filter { sink in event.deliveries.contains { $0.sink == sink && $0.state == state } }
        }
        return targets
    }
}

/// A count of deliveries for one sink and state.
public struct DepthRow: Sendable, Equatable, Codable {
    /// The sink.
    public var sink: String
    /// The state.
    public var state: DeliveryState
    /// How many.
    public var count: Int
    /// The oldest `receivedAt` among them.
    public var oldestReceivedAt: Date?

    /// Creates a row.
    public init(sink: String, state: DeliveryState, count: Int, oldestReceivedAt: Date?) {
        self.sink = sink
        self.state = state
        self.count = count
        self.oldestReceivedAt = oldestReceivedAt
    }
}
