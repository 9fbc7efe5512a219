import Crypto
import Foundation

/// A `whsk_` Ed25519 signing key used to sign `v1a` signatures in tests and tools.
public struct WebhookSigningKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    let key: Curve25519.Signing.PrivateKey

    /// Parses a signing key: `whsk_` prefix optional, then base64 (padding optional) of a 32-byte seed followed by
    /// its 32-byte public key.
    public init(_ text: String) throws(SecretFormatError) {
        let bytes = try KeyText.decode(text, prefix: "whsk_", kind: "webhook signing key", byteCounts: 64...64)
        let key: Curve25519.Signing.PrivateKey
        do {
            key = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes[0..<32])
        } catch {
            throw SecretFormatError("webhook signing key does not hold a valid Ed25519 seed")
        }
        // A mismatched public half means the text was spliced or corrupted; signing with it would only produce
        // signatures that the advertised public key rejects.
        guard key.publicKey.rawRepresentation.elementsEqual(bytes[32..<64]) else {
            throw SecretFormatError("webhook signing key's public half does not match its seed")
        }
        self.key = key
    }

    /// The public key that verifies signatures made with this key.
    public var publicKey: WebhookPublicKey {
        WebhookPublicKey(key: key.publicKey)
    }

    /// A redacted description, so that a signing key never reaches a log by accident.
    public var description: String { "WebhookSigningKey(redacted)" }

    /// A redacted description, so that a signing key never reaches a log by accident.
    public var debugDescription: String { description }
}
