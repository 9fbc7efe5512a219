import Foundation
import Synchronization

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
    /// The payload as it arrived (`.null` when absent). An event decoded from a body parses its payload on first
    /// use (a `where` filter on the payload, a typed payload, a sink that writes payload fields), so forwarding the
    /// exact body never pays for it.
    public var payload: JSONValue {
        get { payloadCell.value }
        set { payloadCell = PayloadCell(newValue) }
    }
    private var payloadCell: PayloadCell
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
        self.payloadCell = PayloadCell(payload)
        self.body = body
    }

    /// Decodes an Engage envelope from an authentic body.
    ///
    /// The body must be a JSON object with a string `eventType`; everything else is tolerated per Voyado's
    /// documented variations (`id` or `eventId`, ids as numbers, absent tenant). The whole body is checked to be
    /// JSON here; the payload is parsed into exact values only when something reads it.
    public init(decoding body: [UInt8], messageId: String, receivedAt: Date) throws(EnvelopeError) {
        let envelope = try Envelope(parsing: body)
        guard let typeText = envelope.eventType else {
            throw EnvelopeError(code: .missingEventType, message: "the body has no `eventType`")
        }
        guard case .string(let typeText) = typeText, !typeText.isEmpty else {
            throw EnvelopeError(code: .missingEventType, message: "`eventType` is not a non-empty string")
        }
        self.id = envelope.id?.identifierText ?? envelope.eventId?.identifierText ?? messageId
        self.messageId = messageId
        self.type = EventType(typeText)
        self.tenant = envelope.tenant?.identifierText
        self.receivedAt = receivedAt
        self.isEncrypted = envelope.isEncrypted?.boolValue ?? false
        self.payloadCell = PayloadCell(parsingFrom: body)
        self.body = body
    }
}

/// The envelope fields of a body, without its payload.
struct Envelope {
    var eventType: JSONValue?
    var id: JSONValue?
    var eventId: JSONValue?
    var tenant: JSONValue?
    var isEncrypted: JSONValue?
}

extension Envelope {
    /// Checks that `body` is JSON and reads the envelope fields.
    ///
    /// Foundation's `JSONSerialization` checks the whole text and yields the fields far faster than `JSONDecoder`
    /// builds exact values; when a field is anything but a string, a boolean or null (a numeric id), the fields are
    /// read again with `JSONDecoder`, which keeps numbers exact.
    init(parsing body: [UInt8]) throws(EnvelopeError) {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw EnvelopeError(code: .invalidJSON, message: "the body is not valid JSON")
        }
        guard let members = root as? [String: Any] else {
            throw EnvelopeError(code: .notAnObject, message: "the body is not a JSON object")
        }
        var needsExactDecoding = false
        func field(_ key: String) -> JSONValue? {
            switch members[key] {
            case nil: return nil
            case is NSNull: return .null
            case let text as String: return .string(text)
            case let number as NSNumber where Self.isBoolean(number): return .bool(number.boolValue)
            default:
                needsExactDecoding = true
                return nil
            }
        }
        eventType = field("eventType")
        id = field("id")
        eventId = field("eventId")
        tenant = field("tenant")
        isEncrypted = field("isEncrypted")
        guard needsExactDecoding else { return }
        do {
            self = try JSONDecoder().decode(ExactEnvelope.self, from: Data(body)).envelope
        } catch {
            throw EnvelopeError(code: .invalidJSON, message: "the body is not valid JSON")
        }
    }

    /// Whether `JSONSerialization` made `number` from `true` or `false` (a `char` number) rather than from a number.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}

/// The envelope fields decoded with `JSONDecoder`, for bodies whose fields are not all strings and booleans.
private struct ExactEnvelope: Decodable {
    let envelope: Envelope

    enum CodingKeys: String, CodingKey {
        case eventType, id, eventId, tenant, isEncrypted
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        envelope = Envelope(
            eventType: try container.decodeIfPresent(JSONValue.self, forKey: .eventType),
            id: try container.decodeIfPresent(JSONValue.self, forKey: .id),
            eventId: try container.decodeIfPresent(JSONValue.self, forKey: .eventId),
            tenant: try container.decodeIfPresent(JSONValue.self, forKey: .tenant),
            isEncrypted: try container.decodeIfPresent(JSONValue.self, forKey: .isEncrypted))
    }
}

/// An event's payload: given, or parsed from the body the first time it is read and kept. Copies of an event share
/// the cell; setting the payload gives the event a new one.
final class PayloadCell: Sendable {
    private enum State {
        case parsed(JSONValue)
        case unparsed([UInt8])
    }

    private let state: Mutex<State>

    init(_ value: JSONValue) { state = Mutex(.parsed(value)) }

    init(parsingFrom body: [UInt8]) { state = Mutex(.unparsed(body)) }

    var value: JSONValue {
        state.withLock { state in
            switch state {
            case .parsed(let value):
                return value
            case .unparsed(let body):
                let value = Self.payload(of: body)
                state = .parsed(value)
                return value
            }
        }
    }

    /// The payload member of an envelope already checked to be a JSON object. `.null` when absent, and for the one
    /// text that `JSONSerialization` accepts and exact decimals cannot hold (a number below 1e-128 in magnitude).
    static func payload(of body: [UInt8]) -> JSONValue {
        struct PayloadMember: Decodable { let payload: JSONValue? }
        return ((try? JSONDecoder().decode(PayloadMember.self, from: Data(body)))?.payload) ?? .null
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
