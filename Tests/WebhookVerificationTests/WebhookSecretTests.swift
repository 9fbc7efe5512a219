import Foundation
import Testing
import WebhookVerification

@Suite("Secrets and keys")
struct WebhookSecretTests {
    /// Base64 of `count` bytes 0, 1, 2, ...
    static func base64(byteCount count: Int) -> String {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0) }).base64EncodedString()
    }

    @Test(
        "a secret of 16 to 128 bytes is accepted with or without the whsec_ prefix and with or without padding",
        arguments: [16, 17, 24, 32, 64, 127, 128])
    func validSecretLengths(byteCount: Int) throws {
        let base64 = Self.base64(byteCount: byteCount)
        let unpadded = String(base64.prefix { $0 != "=" })
        for text in [base64, "whsec_" + base64, unpadded, "whsec_" + unpadded] {
            _ = try WebhookSecret(text)
        }
    }

    @Test("the prefix is optional: a bare and a prefixed secret sign alike")
    func bareAndPrefixedSignAlike() throws {
        let body = Array("{}".utf8)
        let bare = WebhookSigner(secret: try WebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let prefixed = WebhookSigner(secret: try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(
            bare.signature(messageId: "m", timestamp: 1, body: body)
                == prefixed.signature(messageId: "m", timestamp: 1, body: body))
    }

    @Test(
        "a secret that decodes to fewer than 16 or more than 128 bytes is rejected with its size",
        arguments: [1, 8, 15, 129, 256])
    func secretWrongLength(byteCount: Int) throws {
        let text = "whsec_" + Self.base64(byteCount: byteCount)
        let error = #expect(throws: SecretFormatError.self) { try WebhookSecret(text) }
        #expect(error?.message.contains("\(byteCount) bytes") == true)
        #expect(error?.message.contains(String(text.dropFirst(6))) == false)
    }

    @Test(
        "a secret that is not standard base64 is rejected without echoing it",
        arguments: [
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS-", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS_",
            "whsec_MfKQ9r8GKYq%TwjUPD8ILPZIo2",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwx", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa==Sw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ", "whsec_MfKQ9r8GKYqr\nTwjUPD8ILPZIo2LaLaSw", "whsec_", "",
            "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whpk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ])
    func secretBadFormat(text: String) throws {
        let error = #expect(throws: SecretFormatError.self) { try WebhookSecret(text) }
        let message = try #require(error?.message)
        #expect(!message.isEmpty)
        #expect(message.contains("webhook secret"))
        #expect(!message.contains("MfKQ9r8G"))
        #expect(error?.description == message)
    }

    @Test("a secret's description is redacted")
    func secretDescriptionRedacted() throws {
        let secret = try WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        for text in [String(describing: secret), String(reflecting: secret), "\(secret)"] {
            #expect(!text.contains("MfKQ9r8G"))
            #expect(text.contains("redacted"))
        }
    }

    @Test("a public key must be base64 of 32 bytes, prefix optional")
    func publicKeyFormat() throws {
        let bytes = "1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
        _ = try WebhookPublicKey("whpk_" + bytes)
        _ = try WebhookPublicKey(bytes)
        _ = try WebhookPublicKey(String(bytes.dropLast()))
        for text in [
            "whpk_" + Self.base64(byteCount: 31), "whpk_" + Self.base64(byteCount: 33), "whpk_not base64",
            "whsec_" + bytes,
        ] {
            let error = #expect(throws: SecretFormatError.self) { try WebhookPublicKey(text) }
            #expect(error?.message.contains("public key") == true)
        }
    }

    @Test("a signing key must be base64 of a 32-byte seed and its matching 32-byte public key")
    func signingKeyFormat() throws {
        let valid = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
        _ = try WebhookSigningKey(valid)
        _ = try WebhookSigningKey(String(valid.dropFirst(5)))
        // Seed 0, 1, 2, ... with a public half that belongs to another seed.
        let mismatched = "whsk_" + Self.base64(byteCount: 64)
        for text in [mismatched, "whsk_" + Self.base64(byteCount: 32), "whsk_", "whpk_" + String(valid.dropFirst(5))] {
            let error = #expect(throws: SecretFormatError.self) { try WebhookSigningKey(text) }
            #expect(error?.message.contains("signing key") == true)
            #expect(error?.message.contains("6Xb/dCcH") == false)
        }
        let signingKey = try WebhookSigningKey(valid)
        #expect(!String(describing: signingKey).contains("6Xb/dCcH"))
        #expect(!String(reflecting: signingKey).contains("6Xb/dCcH"))
    }
}
