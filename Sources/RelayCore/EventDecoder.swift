import EngageEvents
import Foundation

/// Turns an authentic body into an ``EngageEvent``; the same at ingest and when the dispatcher rebuilds an event.
public struct EventDecoder: Sendable {
    /// Creates a decoder.
    public init() {}

    /// Decodes the envelope; throws a reason (never containing the body) when the body is not an Engage envelope.
    public func decode(_ body: [UInt8], messageId: String, receivedAt: Date) throws(UndeliverableReason) -> EngageEvent {
        do {
            return try EngageEvent(decoding: body, messageId: messageId, receivedAt: receivedAt)
        } catch {
            throw UndeliverableReason(code: error.code.rawValue, message: error.message)
        }
    }
}

/// Why an authentic event cannot be delivered; stored with the event.
public struct UndeliverableReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable snake_case code.
    public var code: String
    /// A short explanation without event content.
    public var message: String

    /// Creates a reason.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
