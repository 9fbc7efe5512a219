import EngageEvents
import Foundation

/// Makes an authentic event safe; the sender is answered only after a call returns.
///
/// The seam between the HTTP front and storage: the receiver calls it after verification and routing.
public protocol EventIntake: Sendable {
    /// Takes responsibility for `event` on behalf of the named sinks (none: an unrouted event to keep).
    func accept(_ event: EngageEvent, sinks: [String]) async throws(IntakeError) -> IntakeReceipt

    /// Keeps an authentic body that could not be decoded, with the reason, so nothing authentic is dropped.
    func keepUndeliverable(
        messageId: String, body: [UInt8], receivedAt: Date, reason: UndeliverableReason
    ) async throws(IntakeError) -> IntakeReceipt
}

/// What the intake did with an event.
public enum IntakeReceipt: Sendable, Equatable {
    /// The event is safe with every sink it was routed to.
    case accepted
    /// The same message id was accepted before; nothing new was done.
    case duplicate
}

/// The intake cannot take the event now; the sender should retry.
public struct IntakeError: Error, Sendable, CustomStringConvertible {
    /// What failed, without event content.
    public var message: String
    /// When the sender should try again.
    public var retryAfter: Duration

    /// Creates an error.
    public init(_ message: String, retryAfter: Duration = .seconds(5)) {
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The message.
    public var description: String { message }
}

/// The durable intake: one spool append per event (group-committed), then a nudge to the dispatcher.
public struct SpoolIntake: EventIntake {
    private let spool: any Spool
    private let dispatcher: Dispatcher?
    private let health: SpoolHealth?

    /// Creates an intake that appends to `spool`, wakes `dispatcher`'s workers for the routed sinks, and tells
    /// `health` whether each append found room.
    public init(spool: any Spool, dispatcher: Dispatcher?, health: SpoolHealth? = nil) {
        self.spool = spool
        self.dispatcher = dispatcher
        self.health = health
    }

    /// Appends the event with one pending delivery per sink.
    public func accept(_ event: EngageEvent, sinks: [String]) async throws(IntakeError) -> IntakeReceipt {
        let record = SpoolRecord(
            messageId: event.messageId, eventId: event.id, type: event.type.rawValue, tenant: event.tenant,
            receivedAt: event.receivedAt, body: event.body, sinks: sinks, state: sinks.isEmpty ? .unrouted : .routed)
        let receipt = try await append(record)
        if receipt == .accepted { dispatcher?.accepted(event, sinks: sinks) }
        return receipt
    }

    /// Appends the body as an undeliverable event with its reason.
    public func keepUndeliverable(
        messageId: String, body: [UInt8], receivedAt: Date, reason: UndeliverableReason
    ) async throws(IntakeError) -> IntakeReceipt {
        try await append(
            SpoolRecord(
                messageId: messageId, eventId: reason.eventId ?? messageId, type: reason.eventType ?? "",
                tenant: reason.tenant, receivedAt: receivedAt, body: body,
                sinks: [], state: .undeliverable, reason: reason.description))
    }

    private func append(_ record: SpoolRecord) async throws(IntakeError) -> IntakeReceipt {
        do {
            let result = try await spool.append(record)
            health?.record(nil)
            return result == .stored ? .accepted : .duplicate
        } catch {
            health?.record(error)
            throw IntakeError("spool: \(error)", retryAfter: error.code == .full ? .seconds(1) : .seconds(5))
        }
    }
}
