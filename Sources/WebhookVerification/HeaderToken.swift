import Crypto

/// A custom header every delivery must carry with one of the accepted values (a static token set in the sender's
/// portal); several values let the token be rotated without downtime.
public struct HeaderToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The header name, lowercased, for a case-insensitive lookup.
    public let name: String
    /// The SHA-256 digests of the accepted values; the values themselves are not kept.
    private let acceptedDigests: [SHA256Digest]

    /// Creates a check of header `name` against `acceptedValues`; empty values are ignored, so an empty or absent
    /// header is never accepted.
    public init(name: String, acceptedValues: [String]) {
        self.name = name.lowercased()
        self.acceptedDigests = acceptedValues.filter { !$0.isEmpty }.map { SHA256.hash(data: Array($0.utf8)) }
    }

    /// Whether `value` (the header's value, nil when absent) is one of the accepted values, compared byte for byte.
    public func accepts(_ value: String?) -> Bool {
        guard let value, !value.isEmpty else { return false }
        let presented = SHA256.hash(data: Array(value.utf8))
        // Digests of both sides have one length, and swift-crypto's digest `==` is constant-time, so timing reveals
        // neither the accepted values' content nor their length.
        return acceptedDigests.contains { $0 == presented }
    }

    /// A redacted description, so that a token never reaches a log by accident.
    public var description: String { "HeaderToken(name: \(name), values: redacted)" }

    /// A redacted description, so that a token never reaches a log by accident.
    public var debugDescription: String { description }
}
