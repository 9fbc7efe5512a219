import EngageEvents
import Foundation

/// Durable storage of accepted events and their per-sink deliveries: the receiver answers 2xx only after
/// ``append(_:)`` returned, and the ``Dispatcher`` works from what it holds.
///
/// Implementations must survive `kill -9` at any instant: nothing whose `append` returned may be lost, and
/// deliveries that were in flight come back as pending after ``recover(now:)``.
public protocol Spool: Sendable {
    /// Stores the event and one pending delivery per sink in one durable transaction.
    ///
    /// Returns ``SpoolAppendResult/duplicate`` (and stores nothing) when an event with the same message id is held.
    func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult

    /// Marks up to `limit` due pending deliveries of `sink` in-flight and returns them, oldest receipt first.
    func claim(sink: String, limit: Int, now: Date) async throws(SpoolError) -> [ClaimedDelivery]

    /// Records what became of claimed deliveries.
    func complete(_ results: [DeliveryResult]) async throws(SpoolError)

    /// The earliest `nextAttemptAt` among pending deliveries of `sink`, if any.
    func nextDue(sink: String) async throws(SpoolError) -> Date?

    /// Puts deliveries left in-flight by a previous process back to pending; returns how many. Called at start.
    func recover(now: Date) async throws(SpoolError) -> Int

    /// Deletes events received before `cutoff` whose deliveries are all delivered (or that were unrouted).
    /// Dead letters and undeliverable events stay until purged. Returns how many events were deleted.
    func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int

    /// Events matching the query, newest first.
    func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent]

    /// One event by its event id or message id.
    func event(_ idOrMessageId: String) async throws(SpoolError) -> StoredEvent?

    /// Creates or resets deliveries to pending (attempts 0, due now) for the selected events and sinks.
    ///
    /// For each selected event: `sinks(event)` says which sinks it should reach now (current routes);
    /// existing deliveries to those sinks are reset, missing ones are created. Returns how many deliveries were queued.
    func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int

    /// Deletes dead letters (failed deliveries) matching the selection; returns how many.
    func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int

    /// Counts of deliveries by sink and state, for metrics and `events list` summaries.
    func depth() async throws(SpoolError) -> [DepthRow]

    /// Throws unless the spool can take a write transaction now (for readiness checks); changes nothing.
    func checkWritable() async throws(SpoolError)

    /// Flushes and closes; later calls fail.
    func close() async throws(SpoolError)
}

/// What the intake hands the spool: the event as received and where it must go.
public struct SpoolRecord: Sendable {
    /// The webhook message id (`svix-id`); unique in the spool.
    public var messageId: String
    /// The event id (envelope `id`/`eventId`, else the message id).
    public var eventId: String
    /// The event type (the envelope's, or empty when the body could not be decoded).
    public var type: String
    /// The tenant, when known.
    public var tenant: String?
    /// When the delivery was accepted.
    public var receivedAt: Date
    /// The request body exactly as received.
    public var body: [UInt8]
    /// The sinks to deliver to (empty for unrouted and undeliverable events).
    public var sinks: [String]
    /// The event's state at receipt.
    public var state: StoredEventState
    /// Why the event cannot be delivered (for ``StoredEventState/undeliverable``), or other notes.
    public var reason: String?

    /// Creates a record.
    public init(
        messageId: String, eventId: String, type: String, tenant: String?, receivedAt: Date, body: [UInt8],
        sinks: [String], state: StoredEventState, reason: String? = nil
    ) {
        self.messageId = messageId
        self.eventId = eventId
        self.type = type
        self.tenant = tenant
        self.receivedAt = receivedAt
        self.body = body
        self.sinks = sinks
        self.state = state
        self.reason = reason
    }
}

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

/// Whether an append stored something.
public enum SpoolAppendResult: Sendable, Equatable {
    /// Stored now.
    case stored
    /// A record with this message id was already held; nothing changed.
    case duplicate
}

/// A delivery the dispatcher claimed, with what it needs to rebuild the event.
public struct ClaimedDelivery: Sendable {
    /// The spool's key of the event (receipt order).
    public var eventKey: Int64
    /// The sink.
    public var sink: String
    /// Attempts made before this one.
    public var attempts: Int
    /// The webhook message id.
    public var messageId: String
    /// When the event was received.
    public var receivedAt: Date
    /// The body exactly as received.
    public var body: [UInt8]

    /// Creates a claimed delivery.
    public init(eventKey: Int64, sink: String, attempts: Int, messageId: String, receivedAt: Date, body: [UInt8]) {
        self.eventKey = eventKey
        self.sink = sink
        self.attempts = attempts
        self.messageId = messageId
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// The recorded outcome of one attempt.
public struct DeliveryResult: Sendable, Equatable {
    /// What to record.
    public enum Kind: Sendable, Equatable {
        /// Delivered; done.
        case delivered
        /// Try again at the date (attempts grows by one).
        case retry(at: Date)
        /// Give up: a dead letter (attempts grows by one).
        case failed
    }

    /// The event's spool key.
    public var eventKey: Int64
    /// The sink.
    public var sink: String
    /// The outcome.
    public var kind: Kind
    /// The error text for retries and dead letters (bounded, no body).
    public var error: String?
    /// When the attempt finished.
    public var at: Date

    /// Creates a result.
    public init(eventKey: Int64, sink: String, kind: Kind, error: String? = nil, at: Date) {
        self.eventKey = eventKey
        self.sink = sink
        self.kind = kind
        self.error = error
        self.at = at
    }
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

/// The spool could not do what was asked; ingest answers 503 and the sender retries.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case name.
        public let rawValue: String
        /// Creates a code.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The database could not be opened or created.
        public static let cannotOpen = Code("cannot_open")
        /// A read or write failed (disk full, I/O error, corruption).
        public static let storageFailed = Code("storage_failed")
        /// Too many appends are waiting for a commit.
        public static let full = Code("full")
        /// The spool is closed.
        public static let closed = Code("closed")
        /// The stable snake_case name.
        public var description: String { rawValue }
    }

    /// What failed.
    public var code: Code
    /// What happened and what to do, without event content.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
