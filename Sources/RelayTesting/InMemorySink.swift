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
    public static let options: [SinkOption] = [
        SinkOption("label", .string, default: "memory", doc: "a free label, for tests"),
    ]

    private let state = Mutex<[EngageEvent]>([])
    private let failures = Mutex<[DeliveryOutcome]>([])

    /// Builds the sink (no I/O).
    public init(configuration: SinkConfiguration, context: SinkContext) {}

    /// Creates a free-standing sink.
    public init() {}

    /// Every event delivered so far, in order.
    public var events: [EngageEvent] { state.withLock { $0 } }

    /// Makes the next deliveries return these outcomes (one per call), before succeeding again.
    public func failNext(_ outcomes: [DeliveryOutcome]) { failures.withLock { $0.append(contentsOf: outcomes) } }

    /// Records the batch, or returns the next scripted failure.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            return Array(repeating: failure, count: batch.count)
        }
        state.withLock { $0.append(contentsOf: batch) }
        return Array(repeating: .delivered, count: batch.count)
    }
}
