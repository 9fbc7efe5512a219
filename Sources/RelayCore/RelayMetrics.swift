import EngageEvents
import CoreMetrics
import Foundation
import Synchronization

/// The receiver's metrics, named for Prometheus (`engage_relay_…_total`, `…_seconds`) and listed in
/// `docs/operations.md`. Handlers are made once per name and labels, then reused.
public final class RelayMetrics: Sendable {
    /// Where the metrics go; sinks get the same factory for their own metrics.
    public let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    private let gauges = Mutex<[String: Gauge]>([:])
    private let depthSeries = Mutex<Set<[String]>>([])

    /// Creates metrics that report to `factory` (nothing is reported by default).
    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) { self.factory = factory }

    /// Metrics that go nowhere.
    public static let none = RelayMetrics()

    /// Counts an ingest request by its outcome: `stored`, `duplicate`, `dropped`, or a refusal code.
    public func request(outcome: String) {
        counter("engage_relay_requests_total", [("outcome", outcome)]).increment()
    }

    /// Counts an authentic event by its type.
    public func event(type: String) {
        // Label values stay a bounded set: a sender cannot mint a new series per invented type.
        let label = type.isEmpty ? "unknown" : EventType(type).isKnown ? type : "other"
        counter("engage_relay_events_total", [("type", label)]).increment()
    }

    /// Counts an authentic body stored as undeliverable, by its reason code; a code outside
    /// ``UndeliverableReason/codes`` counts as `other`, so the label set stays bounded.
    public func undeliverable(reason code: String) {
        let label = UndeliverableReason.codes.contains(code) ? code : "other"
        counter("engage_relay_undeliverable_total", [("reason", label)]).increment()
    }

    /// Counts what became of one delivery attempt.
    public func delivery(sink: String, outcome: DeliveryMetricOutcome) {
        counter("engage_relay_deliveries_total", [("sink", sink), ("outcome", outcome.rawValue)]).increment()
    }

    /// Counts outcomes that arrived after their lease ran out and were not recorded.
    public func lateOutcomes(sink: String, count: Int) {
        counter("engage_relay_late_outcomes_total", [("sink", sink)]).increment(by: count)
    }

    /// Records how long a sink took to deliver one batch.
    public func deliveryDuration(sink: String, _ duration: Duration) {
        timer("engage_relay_delivery_duration_seconds", [("sink", sink)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Records how long an event waited from receipt to delivery.
    public func deliveryLag(sink: String, _ duration: Duration) {
        timer("engage_relay_delivery_lag_seconds", [("sink", sink)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Records how long an ingest request took, from the first check to the answer.
    public func ingestDuration(_ duration: Duration) {
        timer("engage_relay_ingest_duration_seconds", []).recordNanoseconds(duration.nanoseconds)
    }

    /// Counts a config reload attempt.
    public func reload(succeeded: Bool) {
        counter("engage_relay_config_reloads_total", [("result", succeeded ? "success" : "failure")]).increment()
    }

    /// Sets the spool gauges from a depth snapshot: deliveries per sink and state, and the oldest pending age.
    /// Series seen before but absent now are set to zero, so a drained backlog reads 0 rather than its last value.
    public func spool(depth rows: [DepthRow], now: Date) {
        var present = Set<[String]>()
        var oldestPending: [String: Date] = [:]
        for row in rows {
            present.insert([row.sink, row.state.rawValue])
            gauge("engage_relay_spool_deliveries", [("sink", row.sink), ("state", row.state.rawValue)])
                .record(Double(row.count))
            if row.state == .pending || row.state == .inFlight, let oldest = row.oldestReceivedAt {
                oldestPending[row.sink] = min(oldestPending[row.sink] ?? oldest, oldest)
            }
        }
        let sinks = Set(rows.map(\.sink))
        let stale = depthSeries.withLock { seen in
            defer { seen.formUnion(present) }
            return seen.subtracting(present)
        }
        for series in stale {
            gauge("engage_relay_spool_deliveries", [("sink", series[0]), ("state", series[1])]).record(0)
        }
        for sink in sinks.union(stale.map { $0[0] }) {
            let age = oldestPending[sink].map { max(0, now.timeIntervalSince($0)) } ?? 0
            gauge("engage_relay_oldest_pending_age_seconds", [("sink", sink)]).record(age)
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = Self.key(label, dimensions)
        return counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        let key = Self.key(label, dimensions)
        return timers.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        let key = Self.key(label, dimensions)
        return gauges.withLock { cache in
            if let existing = cache[key] { return existing }
            let made = Gauge(label: label, dimensions: dimensions, factory: factory)
            cache[key] = made
            return made
        }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(into: label) { $0 += "\u{1F}\($1.0)=\($1.1)" }
    }
}

/// What one delivery attempt came to, as counted in `engage_relay_deliveries_total`.
public enum DeliveryMetricOutcome: String, Sendable {
    /// At its destination.
    case delivered
    /// Scheduled for another attempt.
    case retried
    /// Given up on: a dead letter.
    case deadLettered = "dead_lettered"
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
