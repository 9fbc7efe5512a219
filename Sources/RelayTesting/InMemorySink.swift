import EngageEvents
import RelayCore
import Synchronization

/// A sink that keeps delivered events in memory, for tests; fails on demand.
public final class InMemorySink: Sink {
    /// Registered as `memory`.
    public static let kind = "memory"
    /// One line for listings.
    public static let summary = "keep events in memory (tests only)"
    /// The options of a `memory` block.
    public static let options: [SinkOption] = [label.option]

    /// `label NAME`.
    public static let label = SinkOptionKey.string(
        "label", doc: "the name tests use to find the sink (default: the sink's name)")

    private let state = Mutex<[EngageEvent]>([])
    private let failures = Mutex<[DeliveryOutcome]>([])
    private let attemptTimes = Mutex<[ContinuousClock.Instant]>([])
    private static let registry = Mutex<[String: InMemorySink]>([:])

    /// Builds the sink (no I/O) and makes it findable by its `label` with ``named(_:)``.
    public init(configuration: SinkConfiguration, context: SinkContext) {
        let label = configuration.options[Self.label] ?? configuration.name
        Self.registry.withLock { $0[label] = self }
    }

    /// The most recently built sink with this `label` (tests reach sinks built from a config this way).
    public static func named(_ label: String) -> InMemorySink? { registry.withLock { $0[label] } }

    /// When each delivery call began.
    public var attempts: [ContinuousClock.Instant] { attemptTimes.withLock { $0 } }

    /// Creates a free-standing sink.
    public init() {}

    /// Every event delivered so far, in order.
    public var events: [EngageEvent] { state.withLock { $0 } }

    /// Makes the next deliveries return these outcomes (one per call), before succeeding again.
    public func failNext(_ outcomes: [DeliveryOutcome]) { failures.withLock { $0.append(contentsOf: outcomes) } }

    /// Records the batch, or returns the next scripted failure.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        attemptTimes.withLock { $0.append(ContinuousClock.now) }
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            return Array(repeating: failure, count: batch.count)
        }
        state.withLock { $0.append(contentsOf: batch) }
        return Array(repeating: .delivered, count: batch.count)
    }
}
