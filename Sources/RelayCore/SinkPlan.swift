import RelayConfig

/// One declared sink, validated but not yet built.
public struct SinkPlan: Sendable {
    /// The instance name.
    public var name: String
    /// The registered kind.
    public var kind: SinkRegistry.Entry
    /// The validated options.
    public var configuration: SinkConfiguration
    /// Batch size, concurrency and retries.
    public var delivery: DeliveryPolicy
    /// Where the sink is declared.
    public var range: SourceRange

    /// Creates a declaration.
    public init(
        name: String, kind: SinkRegistry.Entry, configuration: SinkConfiguration, delivery: DeliveryPolicy,
        range: SourceRange
    ) {
        self.name = name
        self.kind = kind
        self.configuration = configuration
        self.delivery = delivery
        self.range = range
    }
}
