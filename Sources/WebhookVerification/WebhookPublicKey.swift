import Crypto
import Foundation

/// A `whpk_` Ed25519 public key used to verify `v1a` signatures.
public struct WebhookPublicKey: Sendable {
    let key: Curve25519.Signing.PublicKey

    /// Parses a public key: `whpk_` prefix optional, then base64 (padding optional) of 32 bytes.
    public init(_ text: String) throws(SecretFormatError) {
        let bytes = try KeyText.decode(text, prefix: "whpk_", kind: "webhook public key", byteCounts: 32...32)
        do {
            self.key = try Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        } catch {
            throw SecretFormatError("webhook public key is not a valid Ed25519 public key")
        }
    }

    init(key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    /// The key as Svix writes it: `whpk_` followed by base64 of the 32 raw bytes.
    public var text: String {
        "whpk_" + key.rawRepresentation.base64EncodedString()
    }
}
