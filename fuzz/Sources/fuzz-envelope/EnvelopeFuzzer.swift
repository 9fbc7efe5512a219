import EngageEvents
import Foundation
import FuzzSupport
import RelayCore
import WebhookVerification

/// The key of the first vectors in Tests/WebhookVerificationTests/Fixtures/engage-decryption.json, so that seeds
/// with an encrypted payload decrypt.
private let decryptor = try! PayloadDecryptor(key: "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2")

/// The engine's view of the key, as the plan builder makes it.
private struct Key: PayloadDecrypting {
    func decryptPayload(_ ciphertext: String) throws(PayloadDecryptionFailure) -> [UInt8] {
        do {
            return try decryptor.decrypt(ciphertext)
        } catch {
            throw PayloadDecryptionFailure(code: error.code.rawValue)
        }
    }
}

private let decoder = EventDecoder(decryptor: Key())
private let receivedAt = Date(timeIntervalSince1970: 1_700_000_000)

/// An authentic body on its way to the sinks: the JSON parser, the envelope reader, payload decryption when the
/// envelope says so, the typed payloads and the JSON encoder that sinks write with.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelope(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let body = FuzzInput(data, size).bytes
    if let value = try? JSONValue(parsing: body) {
        // What a sink writes must parse back to the same value.
        if let encoded = try? value.compactJSON() {
            let reparsed = try? JSONValue(parsing: encoded)
            invariant(reparsed == value, "compactJSON output parses back to the value")
        }
    }
    let event: EngageEvent
    do {
        event = try decoder.decode(body, messageId: "msg_fuzz", receivedAt: receivedAt)
    } catch {
        _ = error.description
        return 0
    }
    invariant(event.body == body, "the event keeps the body bytes")
    let payload = event.typedPayload
    _ = payload.contactId
    _ = "\(payload)"
    return 0
}

@main enum EnvelopeFuzzer {
    static func main() { runFuzzer(fuzzEnvelope) }
}
