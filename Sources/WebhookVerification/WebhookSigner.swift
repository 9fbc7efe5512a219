import Crypto
import Foundation

/// Signs deliveries exactly as Svix does; used by the `send` command and by tests.
public struct WebhookSigner: Sendable {
    private enum Key: Sendable {
        case hmac(WebhookSecret)
        case ed25519(WebhookSigningKey)
    }

    private let key: Key

    /// A signer producing `v1` (HMAC-SHA256) signatures.
    public init(secret: WebhookSecret) {
        self.key = .hmac(secret)
    }

    /// A signer producing `v1a` (Ed25519) signatures.
    public init(signingKey: WebhookSigningKey) {
        self.key = .ed25519(signingKey)
    }

    /// Returns the signature header value for one delivery, e.g. `v1,BASE64` or `v1a,BASE64`.
    public func signature(messageId: String, timestamp: Int64, body: [UInt8]) -> String {
        let prefix = SignedContent.prefix(id: messageId, timestamp: String(timestamp))
        switch key {
        case .hmac(let secret):
            let mac = secret.authenticationCode(prefix: prefix, body: body)
            return "v1," + Data(mac).base64EncodedString()
        case .ed25519(let signingKey):
            let content = SignedContent.contiguous(prefix: prefix, body: body)
            do {
                return "v1a," + (try signingKey.key.signature(for: content)).base64EncodedString()
            } catch {
                // Ed25519 signing with a valid key fails only if the crypto library cannot allocate.
                preconditionFailure("Ed25519 signing failed: \(error)")
            }
        }
    }
}
