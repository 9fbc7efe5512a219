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
