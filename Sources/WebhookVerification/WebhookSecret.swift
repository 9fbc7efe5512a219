import Crypto

/// A `whsec_` HMAC-SHA256 secret used to verify and sign `v1` signatures.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Accepted length of the decoded key: the project's rule 5, wider than Svix's 24 bytes on purpose.
    static let byteCounts = 16...128

    /// HMAC state already keyed with the secret; each request copies it, so key setup is paid once.
    let keyedMAC: HMAC<SHA256>

    /// Parses a secret: `whsec_` prefix optional, then base64 (padding optional) of 16 to 128 bytes.
    public init(_ text: String) throws(SecretFormatError) {
        let key = try KeyText.decode(text, prefix: "whsec_", kind: "webhook secret", byteCounts: Self.byteCounts)
        self.keyedMAC = HMAC<SHA256>(key: SymmetricKey(data: key))
    }

    /// A redacted description, so that a secret never reaches a log by accident.
    public var description: String { "WebhookSecret(redacted)" }

    /// A redacted description, so that a secret never reaches a log by accident.
    public var debugDescription: String { description }

    /// The HMAC of the signed content `{prefix}{body}` under this secret.
    func authenticationCode(prefix: [UInt8], body: [UInt8]) -> HashedAuthenticationCode<SHA256> {
        var mac = keyedMAC
        mac.update(data: prefix)
        mac.update(data: body)
        return mac.finalize()
    }
}
