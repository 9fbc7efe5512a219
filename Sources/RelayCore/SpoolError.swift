/// The spool could not do what was asked; ingest answers 503 and the sender retries.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable snake_case name.
        public let rawValue: String
        /// Creates a code.
        public init(_ rawValue: String) { self.rawValue = rawValue }
        /// The database could not be opened or created.
        public static let cannotOpen = Code("cannot_open")
        /// A read or write failed (disk full, I/O error, corruption).
        public static let storageFailed = Code("storage_failed")
        /// Too many appends are waiting for a commit.
        public static let full = Code("full")
        /// The spool is closed.
        public static let closed = Code("closed")
        /// The stable snake_case name.
        public var description: String { rawValue }
    }

    /// What failed.
    public var code: Code
    /// What happened and what to do, without event content.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
