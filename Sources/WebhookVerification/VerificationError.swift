/// Why a delivery failed verification; the HTTP status is chosen from `code` by the server.
public struct VerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable reason; an open set, so new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The snake_case name, stable across releases (used in error response bodies and metrics).
        public let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The id, timestamp or signature header is absent.
        public static let missingHeaders = Code("missing_headers")
        /// A header is present but malformed: bad id, bad timestamp text, or a signature header over the caps.
        public static let malformedHeaders = Code("malformed_headers")
        /// The timestamp is further from now than the tolerance, in either direction.
        public static let timestampOutOfTolerance = Code("timestamp_out_of_tolerance")
        /// No signature in the header matched any configured secret or public key.
        public static let signatureMismatch = Code("signature_mismatch")

        /// The raw value.
        public var description: String { rawValue }
    }

    /// The reason, for programs.
    public let code: Code
    /// A short explanation for people; never echoes a signature, a secret or the body.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code followed by the message.
    public var description: String { "\(code.rawValue): \(message)" }
}
