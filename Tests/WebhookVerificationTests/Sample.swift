import EngageEvents
import WebhookVerification

/// A delivery signed in the tests themselves, for cases the vectors do not cover.
struct Sample {
    static let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let otherSecretText = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    static let now: Int64 = 1_700_000_000
    static let bodyText = #"{"type":"contact.created","data":{"email":"ada@example.com"}}"#

    var id = "msg_2Sample0000000000000000001"
    var timestamp = Sample.now
    var body = Array(Sample.bodyText.utf8)
    var secretText = Sample.secretText

    var signature: String {
        get throws {
            WebhookSigner(secret: try WebhookSecret(secretText)).signature(
                messageId: id, timestamp: timestamp, body: body)
        }
    }

    var headers: WebhookHeaders {
        get throws {
            WebhookHeaders(id: id, timestamp: String(timestamp), signature: try signature)
        }
    }

    static func verifier(
        secrets: [String] = [Sample.secretText],
        toleranceSeconds: Int64 = SignatureVerifier.defaultTolerance,
        now: Int64 = Sample.now
    ) throws -> SignatureVerifier {
        SignatureVerifier(
            secrets: try secrets.map { try WebhookSecret($0) }, toleranceSeconds: toleranceSeconds, clock: .fixed(now))
    }
}
