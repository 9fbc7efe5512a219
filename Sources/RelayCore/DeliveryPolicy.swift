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
    public enum Key {
        /// `retry attempts=N backoff=MIN..MAX` (read by the checker from the directive itself).
        public static let retry = SinkOptionKey.words(
            "retry", default: "attempts=30 backoff=1s..10m",
            doc: "attempts=N (total, first included) and backoff=MIN..MAX (exponential, full jitter)")
        /// `max-age`.
        public static let maxAge = SinkOptionKey.duration(
            "max-age", default: "3d", in: .seconds(1)...(.seconds(3650 * 86_400)),
            doc: "give up (dead letter) this long after receipt")
        /// `max-in-flight`.
        public static let maxInFlight = SinkOptionKey.integer(
            "max-in-flight", 1...256, doc: "batches delivered at once (default per kind)")
        /// `batch`.
        public static let batch = SinkOptionKey.integer("batch", 1...10_000, doc: "events per batch (default per kind)")
        /// `concurrency`, the exec sink's own spelling of `max-in-flight`; only kinds that list it accept it.
        public static let concurrency = SinkOptionKey.integer(
            "concurrency", 1...64, doc: "processes at once (the engine's max-in-flight)")
    }

    /// The engine's keys, accepted in every `sink` block besides the kind's own options.
    public static let options: [SinkOption] = [Key.retry.option, Key.maxAge.option, Key.maxInFlight.option, Key.batch.option]
}
