import EngageEvents
import Crypto
import Foundation

/// Verifies Svix / Standard Webhooks signatures over raw request bodies, following this project's rules 1 to 8.
public struct SignatureVerifier: Sendable {
    /// The default timestamp tolerance in seconds, in both directions.
    public static let defaultTolerance: Int64 = 300
    /// The longest accepted message id, in bytes.
    public static let maxMessageIdBytes = 256
    /// The longest accepted timestamp text, in ASCII digits.
    public static let maxTimestampDigits = 12
    /// The largest accepted signature header, in bytes.
    public static let maxSignatureHeaderBytes = 8192
    /// The most entries accepted in the signature header.
    public static let maxSignatureEntries = 32

    private let secrets: [WebhookSecret]
    private let publicKeys: [WebhookPublicKey]
    private let toleranceSeconds: Int64
    private let clock: RelayClock

    /// Creates a verifier accepting `v1` signatures under any of `secrets` and `v1a` signatures under any of
    /// `publicKeys`.
    ///
    /// With neither configured every delivery fails with ``VerificationError/Code/signatureMismatch``.
    /// `toleranceSeconds` must not be negative.
    public init(
        secrets: [WebhookSecret],
        publicKeys: [WebhookPublicKey] = [],
        toleranceSeconds: Int64 = SignatureVerifier.defaultTolerance,
        clock: RelayClock = .system
    ) {
        precondition(toleranceSeconds >= 0, "toleranceSeconds must not be negative")
        self.secrets = secrets
        self.publicKeys = publicKeys
        self.toleranceSeconds = toleranceSeconds
        self.clock = clock
    }

    /// Verifies one delivery over its raw body bytes, without parsing the body.
    ///
    /// Checks run in this order: headers present, message id, timestamp text, signature header caps, timestamp
    /// tolerance, signatures.
    public func verify(headers: WebhookHeaders, body: [UInt8]) throws(VerificationError) -> VerifiedDelivery {
        guard let id = headers.id, let timestampText = headers.timestamp, let signatureHeader = headers.signature
        else {
            throw Self.missing(headers)
        }
        guard Self.isValidMessageId(id) else {
            throw VerificationError(
                .malformedHeaders,
                "message id must be 1 to \(Self.maxMessageIdBytes) printable ASCII characters without spaces"
            )
        }
        guard let timestamp = Self.parseTimestamp(timestampText) else {
            throw VerificationError(
                .malformedHeaders, "timestamp must be 1 to \(Self.maxTimestampDigits) ASCII digits (Unix seconds)")
        }
        guard signatureHeader.utf8.count <= Self.maxSignatureHeaderBytes else {
            throw VerificationError(
                .malformedHeaders, "signature header is larger than \(Self.maxSignatureHeaderBytes) bytes")
        }
        let entries = signatureHeader.utf8.split(separator: UInt8(ascii: " "))
        guard entries.count <= Self.maxSignatureEntries else {
            throw VerificationError(
                .malformedHeaders, "signature header has more than \(Self.maxSignatureEntries) entries")
        }
        try checkTolerance(timestamp)

        var hmacSignatures: [Data] = []
        var ed25519Signatures: [Data] = []
        for entry in entries {
            guard let comma = entry.firstIndex(of: UInt8(ascii: ",")) else { continue }
            let version = entry[..<comma]
            let encoded = entry[entry.index(after: comma)...]
            if !secrets.isEmpty, version.elementsEqual("v1".utf8) {
                if let bytes = Self.decodeSignature(encoded, byteCount: SHA256.byteCount) {
                    hmacSignatures.append(bytes)
                }
            } else if !publicKeys.isEmpty, version.elementsEqual("v1a".utf8) {
                if let bytes = Self.decodeSignature(encoded, byteCount: 64) {
                    ed25519Signatures.append(bytes)
                }
            }
        }

        let prefix = SignedContent.prefix(id: id, timestamp: timestampText)
        if !hmacSignatures.isEmpty {
            for secret in secrets {
                let expected = secret.authenticationCode(prefix: prefix, body: body)
                // `==` between a HashedAuthenticationCode and bytes is swift-crypto's constant-time comparison.
                if hmacSignatures.contains(where: { expected == $0 }) {
                    return VerifiedDelivery(messageId: id, timestamp: timestamp, body: body)
                }
            }
        }
        if !ed25519Signatures.isEmpty {
            let content = SignedContent.contiguous(prefix: prefix, body: body)
            for publicKey in publicKeys {
                if ed25519Signatures.contains(where: { publicKey.key.isValidSignature($0, for: content) }) {
                    return VerifiedDelivery(messageId: id, timestamp: timestamp, body: body)
                }
            }
        }
        throw VerificationError(.signatureMismatch, "no signature matched a configured key")
    }

    private func checkTolerance(_ timestamp: Int64) throws(VerificationError) {
        let now = clock.unixSeconds()
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        // An overflowing difference is larger than any Int64 tolerance.
        guard overflow || age.magnitude > toleranceSeconds.magnitude else { return }
        if overflow ? timestamp > now : age < 0 {
            throw VerificationError(
                .timestampOutOfTolerance, "timestamp is more than \(toleranceSeconds) seconds in the future")
        }
        throw VerificationError(.timestampOutOfTolerance, "timestamp is more than \(toleranceSeconds) seconds old")
    }

    private static func missing(_ headers: WebhookHeaders) -> VerificationError {
        var names: [String] = []
        if headers.id == nil { names.append("svix-id (or webhook-id)") }
        if headers.timestamp == nil { names.append("svix-timestamp (or webhook-timestamp)") }
        if headers.signature == nil { names.append("svix-signature (or webhook-signature)") }
        return VerificationError(.missingHeaders, "missing header: " + names.joined(separator: ", "))
    }

    private static func isValidMessageId(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...maxMessageIdBytes).contains(bytes.count)
            && bytes.allSatisfy { (UInt8(0x21)...UInt8(0x7E)).contains($0) }
    }

    /// The timestamp as a number, or nil unless the text is 1 to 12 ASCII digits and nothing else.
    private static func parseTimestamp(_ text: String) -> Int64? {
        let digits = text.utf8
        guard (1...maxTimestampDigits).contains(digits.count) else { return nil }
        var value: Int64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            // Twelve digits stay far below Int64.max, so this cannot overflow.
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Decodes one padded standard-base64 signature, or nil unless it decodes to exactly `byteCount` bytes.
    private static func decodeSignature(_ encoded: Substring.UTF8View.SubSequence, byteCount: Int) -> Data? {
        // Only a text of the exact encoded length can decode to byteCount bytes; skip the decoder otherwise.
        guard encoded.count == (byteCount + 2) / 3 * 4,
            let data = Data(base64Encoded: String(Substring(encoded))),
            data.count == byteCount
        else { return nil }
        return data
    }
}
