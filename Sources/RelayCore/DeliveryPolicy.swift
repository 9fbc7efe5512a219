/// How the engine drives one sink: batch size, concurrency and retries (the `sink` block's engine keys).
public struct DeliveryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Events per batch.
    public var batchSize: Int
    /// Batches in flight at once.
    public var maxInFlight: Int
    /// Retries and dead-lettering.
    public var retry: RetryPolicy

    /// Creates a policy.
    public init(batchSize: Int, maxInFlight: Int, retry: RetryPolicy) {
        self.batchSize = batchSize
        self.maxInFlight = maxInFlight
        self.retry = retry
    }

    /// `batch 1, max-in-flight 1, 30 attempts 1s..10m, max-age 3d`.
    public var description: String {
        "batch \(batchSize), max-in-flight \(maxInFlight), \(retry.maxAttempts) attempts"
            + " \(retry.minBackoff.configText)..\(retry.maxBackoff.configText), max-age \(retry.maxAge.configText)"
    }

    /// The engine's keys, accepted in every `sink` block besides the kind's own options.
    public static let options: [SinkOption] = [
        SinkOption(
            "retry", .words, default: "attempts=30 backoff=1s..10m",
            doc: "attempts=N (total, first included) and backoff=MIN..MAX (exponential, full jitter)"),
        SinkOption("max-age", .duration, default: "3d", doc: "give up (dead letter) this long after receipt"),
        SinkOption("max-in-flight", .integer(1...256), doc: "batches delivered at once (default per kind)"),
        SinkOption("batch", .integer(1...10_000), doc: "events per batch (default per kind)"),
    ]
}
