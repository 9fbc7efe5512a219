import Foundation

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

/// Whether an append stored something.
public enum SpoolAppendResult: Sendable, Equatable {
    /// Stored now.
    case stored
    /// A record with this message id was already held; nothing changed.
    case duplicate
}
