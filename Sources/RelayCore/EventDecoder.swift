import EngageEvents
import Foundation

/// Decrypts the payload text of an envelope that says `isEncrypted: true`; the engine's view of a payload key, so
/// that the core needs no cryptography of its own.
public protocol PayloadDecrypting: Sendable {
    /// The plaintext of `ciphertext`, or a failure whose code names what was wrong (never the plaintext).
    func decryptPayload(_ ciphertext: String) throws(PayloadDecryptionFailure) -> [UInt8]
}

/// Why a payload could not be decrypted: a stable code, no content.
public struct PayloadDecryptionFailure: Error, Sendable, CustomStringConvertible {
    /// A stable snake_case code.
    public var code: String

    /// Creates a failure.
    public init(code: String) { self.code = code }

    /// The code.
    public var description: String { code }
}

/// Turns an authentic body into an ``EngageEvent``; the same at ingest and when the dispatcher rebuilds an event.
public struct EventDecoder: Sendable {
    /// Decrypts payloads of envelopes that say `isEncrypted: true`.
    public var decryptor: (any PayloadDecrypting)?

    /// Creates a decoder, with a decryption key when the config has one.
    public init(decryptor: (any PayloadDecrypting)? = nil) { self.decryptor = decryptor }

    /// Decodes the envelope and decrypts its payload when needed; throws a reason (never containing the body or the
    /// plaintext) when the event cannot be delivered.
    public func decode(_ body: [UInt8], messageId: String, receivedAt: Date) throws(UndeliverableReason) -> EngageEvent {
        var event: EngageEvent
        do {
            event = try EngageEvent(decoding: body, messageId: messageId, receivedAt: receivedAt)
        } catch {
            throw UndeliverableReason(code: error.code.rawValue, message: error.message)
        }
        guard event.isEncrypted else { return event }
        func reason(_ code: String, _ message: String) -> UndeliverableReason {
            UndeliverableReason(code: code, message: message, eventType: event.type.rawValue, eventId: event.id, tenant: event.tenant)
        }
        guard case .string(let ciphertext) = event.payload else {
            throw reason("encrypted_payload_not_text", "`isEncrypted` is true but the payload is not a string")
        }
        guard let decryptor else {
            throw reason("no_decryption_key", "the payload is encrypted and no `decrypt` key is configured")
        }
        let plaintext: [UInt8]
        do {
            plaintext = try decryptor.decryptPayload(ciphertext)
        } catch {
            throw reason("decryption_failed", "the payload could not be decrypted: \(error.code)")
        }
        do {
            event.payload = try JSONValue(parsing: plaintext)
        } catch {
            throw reason("decrypted_payload_not_json", "the decrypted payload is not JSON")
        }
        return event
    }
}

/// Why an authentic event cannot be delivered; stored with the event.
public struct UndeliverableReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable snake_case code.
    public var code: String
    /// A short explanation without event content.
    public var message: String
    /// The envelope's type, when the envelope could be read.
    public var eventType: String?
    /// The envelope's event id, when the envelope could be read.
    public var eventId: String?
    /// The envelope's tenant, when the envelope could be read.
    public var tenant: String?

    /// Creates a reason.
    public init(code: String, message: String, eventType: String? = nil, eventId: String? = nil, tenant: String? = nil) {
        self.code = code
        self.message = message
        self.eventType = eventType
        self.eventId = eventId
        self.tenant = tenant
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }

    /// Every code ``EventDecoder`` gives: the envelope's (`invalid_json`, `not_an_object`, `missing_event_type`) and
    /// the payload's (`encrypted_payload_not_text`, `no_decryption_key`, `decryption_failed`,
    /// `decrypted_payload_not_json`).
    public static let codes: Set<String> = [
        EnvelopeError.Code.invalidJSON.rawValue, EnvelopeError.Code.notAnObject.rawValue,
        EnvelopeError.Code.missingEventType.rawValue, "encrypted_payload_not_text", "no_decryption_key",
        "decryption_failed", "decrypted_payload_not_json",
    ]
}
