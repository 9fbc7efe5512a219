import Foundation

/// One Engage event as it arrived: the envelope's fields, the payload, and the exact body bytes.
public struct EngageEvent: Sendable {
    /// The event's id: the envelope's `id` or `eventId`, else the webhook message id.
    public var id: String
    /// The webhook message id (`svix-id`), stable across Svix retries.
    public var messageId: String
    /// The event type from `eventType`.
    public var type: EventType
    /// The Engage tenant, when the envelope names one.
    public var tenant: String?
    /// When the receiver accepted the delivery.
    public var receivedAt: Date
    /// Whether the envelope said the payload is encrypted.
    public var isEncrypted: Bool
    /// The payload as it arrived (`.null` when absent).
    public var payload: JSONValue
    /// The request body exactly as received; forwarding sinks send these bytes.
    public var body: [UInt8]

    /// Creates an event from its parts.
    public init(
        id: String, messageId: String, type: EventType, tenant: String?, receivedAt: Date, isEncrypted: Bool,
        payload: JSONValue, body: [UInt8]
    ) {
        self.id = id
        self.messageId = messageId
        self.type = type
        self.tenant = tenant
        self.receivedAt = receivedAt
        self.isEncrypted = isEncrypted
        self.payload = payload
        self.body = body
    }

    /// Decodes an Engage envelope from an authentic body.
    ///
    /// The body must be a JSON object with a string `eventType`; everything else is tolerated per Voyado's
    /// documented variations (`id` or `eventId`, ids as numbers, absent tenant).
    public init(decoding body: [UInt8], messageId: String, receivedAt: Date) throws(EnvelopeError) {
        let root: JSONValue
        do {
            root = try JSONValue(parsing: body)
        } catch {
            throw EnvelopeError(code: .invalidJSON, message: "the body is not valid JSON")
        }
        guard case .object(let members) = root else {
            throw EnvelopeError(code: .notAnObject, message: "the body is not a JSON object")
        }
        guard let eventType = members["eventType"] else {
            throw EnvelopeError(code: .missingEventType, message: "the body has no `eventType`")
        }
        guard case .string(let typeText) = eventType, !typeText.isEmpty else {
            throw EnvelopeError(code: .missingEventType, message: "`eventType` is not a non-empty string")
        }
        self.init(
            id: members["id"]?.identifierText ?? members["eventId"]?.identifierText ?? messageId,
            messageId: messageId,
            type: EventType(typeText),
            tenant: members["tenant"]?.identifierText,
            receivedAt: receivedAt,
            isEncrypted: members["isEncrypted"]?.boolValue ?? false,
            payload: members["payload"] ?? .null,
            body: body
        )
    }
}

/// Why an authentic body could not be read as an Engage envelope.
public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable identifier of the failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case name.
        public let rawValue: String
        /// The body is not JSON.
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// The body is JSON but not an object.
        public static let notAnObject = Code(rawValue: "not_an_object")
        /// The object has no string `eventType`.
        public static let missingEventType = Code(rawValue: "missing_event_type")
        /// The stable snake_case name.
        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A short explanation that never quotes the body.
    public let message: String

    /// The explanation.
    public var description: String { message }
}
