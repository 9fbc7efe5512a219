import Foundation

/// The state of a stored event as a whole.
public enum StoredEventState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Routed to one or more sinks.
    case routed
    /// Matched no route; kept so it can be replayed after a route is added.
    case unrouted
    /// Authentic but could not be decoded or decrypted; kept with its reason.
    case undeliverable
}

/// The state of one (event, sink) delivery.
public enum DeliveryState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next attempt.
    case pending
    /// Claimed by a dispatcher worker.
    case inFlight = "in-flight"
    /// Done.
    case delivered
    /// Given up on: a dead letter.
    case failed
}

/// A stored event with its deliveries, for inspection and replay.
public struct StoredEvent: Sendable, Codable, Equatable {
    /// The spool's key (receipt order).
    public var key: Int64
    /// The webhook message id.
    public var messageId: String
    /// The event id.
    public var eventId: String
    /// The event type.
    public var type: String
    /// The tenant.
    public var tenant: String?
    /// When it was received.
    public var receivedAt: Date
    /// The event's state.
    public var state: StoredEventState
    /// Why it is undeliverable, if it is.
    public var reason: String?
    /// The body as received (omitted from listings, present from ``Spool/event(_:)``).
    public var body: [UInt8]?
    /// Its deliveries.
    public var deliveries: [StoredDelivery]

    /// Creates a stored event.
    public init(
        key: Int64, messageId: String, eventId: String, type: String, tenant: String?, receivedAt: Date,
        state: StoredEventState, reason: String?, body: [UInt8]?, deliveries: [StoredDelivery]
    ) {
        self.key = key
        self.messageId = messageId
        self.eventId = eventId
        self.type = type
        self.tenant = tenant
        self.receivedAt = receivedAt
        self.state = state
        self.reason = reason
        self.body = body
        self.deliveries = deliveries
    }
}

/// One delivery of a stored event.
public struct StoredDelivery: Sendable, Codable, Equatable {
    /// The sink.
    public var sink: String
    /// Its state.
    public var state: DeliveryState
    /// Attempts made.
    public var attempts: Int
    /// When the next attempt is due (pending) or was last made.
    public var nextAttemptAt: Date
    /// The last error, if any.
    public var lastError: String?

    /// Creates a stored delivery.
    public init(sink: String, state: DeliveryState, attempts: Int, nextAttemptAt: Date, lastError: String?) {
        self.sink = sink
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}
