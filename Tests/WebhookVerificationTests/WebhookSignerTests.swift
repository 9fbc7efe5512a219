import Foundation
import EngageEvents
import Testing
import WebhookVerification

@Suite("WebhookSigner")
struct WebhookSignerTests {
    @Test("a v1 signature made by the signer verifies, and is v1 followed by base64 of 32 bytes")
    func hmacRoundTrip() throws {
        let sample = Sample()
        let signature = try sample.signature
        #expect(signature.hasPrefix("v1,"))
        #expect(signature.utf8.count == 3 + 44)
        let delivery = try Sample.verifier().verify(headers: try sample.headers, body: sample.body)
        #expect(delivery.messageId == sample.id)
        #expect(delivery.timestamp == sample.timestamp)
        #expect(delivery.body == sample.body)
    }

    @Test("a v1a signature made by the signer verifies only under its own public key")
    func ed25519RoundTrip() throws {
        let signingKey = try WebhookSigningKey(
            "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==")
        let sample = Sample()
        let signature = WebhookSigner(signingKey: signingKey)
            .signature(messageId: sample.id, timestamp: sample.timestamp, body: sample.body)
        #expect(signature.hasPrefix("v1a,"))
        #expect(signature.utf8.count == 4 + 88)
        let headers = WebhookHeaders(id: sample.id, timestamp: String(sample.timestamp), signature: signature)

        let verifier = SignatureVerifier(secrets: [], publicKeys: [signingKey.publicKey], clock: .fixed(Sample.now))
        _ = try verifier.verify(headers: headers, body: sample.body)

        let otherKey = try WebhookPublicKey("whpk_" + String(repeating: "A", count: 43) + "=")
        let wrongKey = SignatureVerifier(secrets: [], publicKeys: [otherKey], clock: .fixed(Sample.now))
        let error = #expect(throws: VerificationError.self) {
            try wrongKey.verify(headers: headers, body: sample.body)
        }
        #expect(error?.code == .signatureMismatch)

        let tampered = #expect(throws: VerificationError.self) {
            try verifier.verify(headers: headers, body: sample.body + [0x20])
        }
        #expect(tampered.map(\.code) == .signatureMismatch)
    }

    @Test("a header with both a v1 and a v1a signature verifies with either kind of key configured")
    func mixedVersions() throws {
        let signingKey = try WebhookSigningKey(
            "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==")
        let sample = Sample()
        let v1a = WebhookSigner(signingKey: signingKey)
            .signature(messageId: sample.id, timestamp: sample.timestamp, body: sample.body)
        let headers = WebhookHeaders(
            id: sample.id, timestamp: String(sample.timestamp), signature: "\(v1a) \(try sample.signature)")
        _ = try Sample.verifier().verify(headers: headers, body: sample.body)
        _ = try SignatureVerifier(secrets: [], publicKeys: [signingKey.publicKey], clock: .fixed(Sample.now))
            .verify(headers: headers, body: sample.body)
    }

    @Test("the system clock reads the current Unix time")
    func systemClock() {
        let now = RelayClock.system.unixSeconds()
        #expect(now > 1_700_000_000)
        #expect(RelayClock.fixed(Int64(42)).unixSeconds() == 42)
        #expect(RelayClock { Date(timeIntervalSince1970: 7.9) }.unixSeconds() == 7)
    }
}
