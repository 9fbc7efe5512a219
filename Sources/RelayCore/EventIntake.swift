import EngageEvents

/// Makes an authentic, routed event safe; the sender is answered only after ``accept(_:sinks:)`` returns.
///
/// The seam between the HTTP front and storage: direct delivery today, the durable spool behind the same call.
public protocol EventIntake: Sendable {
    /// Takes responsibility for `event` on behalf of the named sinks, or throws when it cannot right now.
    func accept(_ event: EngageEvent, sinks: [String]) async throws(IntakeError) -> IntakeReceipt
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
