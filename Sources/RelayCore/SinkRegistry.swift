/// The sink kinds a binary knows, by name; a value, so a custom binary adds its kinds to the built-in set.
public struct SinkRegistry: Sendable {
    /// A registered kind with its declared options and a way to build instances.
    public struct Entry: Sendable {
        /// The kind's name.
        public let kind: String
        /// The kind's one-line summary.
        public let summary: String
        /// The kind's declared options.
        public let options: [SinkOption]
        /// The kind's default batch size.
        public let defaultBatchSize: Int
        /// The kind's default number of batches in flight.
        public let defaultMaxInFlight: Int
        /// Builds an instance.
        public let make: @Sendable (SinkConfiguration, SinkContext) throws -> any Sink
    }

    private var entries: [String: Entry] = [:]

    /// A registry with no kinds.
    public static let empty = SinkRegistry()

    /// Creates an empty registry.
    public init() {}

    /// A copy of this registry that also knows `sink`; a kind of the same name is replaced.
    public func adding<S: Sink>(_ sink: S.Type) -> SinkRegistry {
        var copy = self
        copy.entries[S.kind] = Entry(
            kind: S.kind, summary: S.summary, options: S.options, defaultBatchSize: S.defaultBatchSize,
            defaultMaxInFlight: S.defaultMaxInFlight
        ) {
            try S(configuration: $0, context: $1)
        }
        return copy
    }

    /// The entry of a kind, if registered.
    public subscript(kind: String) -> Entry? { entries[kind] }

    /// Every registered kind, sorted by name.
    public var kinds: [Entry] { entries.values.sorted { $0.kind < $1.kind } }
}
