/// Why an encrypted payload could not be decrypted; the event is then stored with this reason, never dropped.
public struct DecryptionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable reason; an open set, so new codes can be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The snake_case name, stable across releases (used in stored reasons and metrics).
        public let rawValue: String

        private init(_ rawValue: String) {
            self.rawValue = rawValue
        }

        /// The text is neither URL-safe nor standard base64.
        public static let invalidEncoding = Code("invalid_encoding")
        /// The decoded bytes are shorter than the 16-byte IV plus one 16-byte block.
        public static let tooShort = Code("too_short")
        /// The bytes after the IV are not a whole number of 16-byte blocks.
        public static let notBlockAligned = Code("not_block_aligned")
        /// The PKCS#7 padding is wrong after decryption: the key is probably wrong, or the ciphertext was damaged.
        public static let decryptionFailed = Code("decryption_failed")
        /// The decrypted bytes are not valid UTF-8, which a right key and an intact ciphertext never give.
        public static let notUTF8 = Code("not_utf8")

        /// The raw value.
        public var description: String { rawValue }
    }

    /// The reason, for programs.
    public let code: Code
    /// A short explanation for people; never contains the plaintext, the ciphertext or the key.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The code followed by the message.
    public var description: String { "\(code.rawValue): \(message)" }
}
