import Foundation
import RelayCore
import Synchronization

/// A ``Spool`` that keeps everything in memory, with the same lease semantics as the durable ones: for engine
/// tests (`Dispatcher` over a fixed clock) and as the reference implementation of `SpoolConformance`.
///
/// Nothing survives the process; never use it to receive real traffic.
public final class InMemorySpool: Spool {
    struct Delivery {
        var state: DeliveryState
        var attempts = 0
        var nextAttemptAt: Date
        var lastError: String?
        var lease: DeliveryLease?
    }

    struct Event {
        var key: Int64
        var record: SpoolRecord
        var state: StoredEventState
        var deliveries: [String: Delivery]
    }

    struct State {
        var nextKey: Int64 = 1
        var events: [Int64: Event] = [:]
        var keyByMessageId: [String: Int64] = [:]
        var isClosed = false
    }

    private let state = Mutex(State())

    /// Creates an empty spool.
    public init() {}

    private func withOpen<T>(_ body: (inout State) throws(SpoolError) -> T) throws(SpoolError) -> T {
        try state.withLock { (state: inout State) throws(SpoolError) -> T in
            guard !state.isClosed else { throw SpoolError(.closed, "the in-memory spool is closed") }
            return try body(&state)
        }
    }

    /// Events after `key`, in receipt order, with bodies.
    public func exportEvents(after key: Int64, limit: Int) async throws(SpoolError) -> [StoredEvent] {
        try withOpen { state in
            state.events.keys.sorted().filter { $0 > key }.prefix(max(0, limit)).map {
                Self.stored(state.events[$0]!, withBody: true)
            }
        }
    }

    /// Stores copies of events from another spool, skipping message ids already held.
    public func importEvents(_ events: [StoredEvent], now: Date) async throws(SpoolError) -> Int {
        try withOpen { state in
            var added = 0
            for event in events where state.keyByMessageId[event.messageId] == nil {
                let key = state.nextKey
                state.nextKey += 1
                let record = SpoolRecord(
                    messageId: event.messageId, eventId: event.eventId, type: event.type, tenant: event.tenant,
                    receivedAt: event.receivedAt, body: event.body ?? [], sinks: event.deliveries.map(\.sink),
                    state: event.state, reason: event.reason)
                var deliveries: [String: Delivery] = [:]
                for delivery in event.deliveries {
                    deliveries[delivery.sink] = Delivery(
                        state: delivery.state == .inFlight ? .pending : delivery.state, attempts: delivery.attempts,
                        nextAttemptAt: delivery.nextAttemptAt, lastError: delivery.lastError)
                }
                state.events[key] = Event(key: key, record: record, state: event.state, deliveries: deliveries)
                state.keyByMessageId[event.messageId] = key
                added += 1
            }
            return added
        }
    }

    /// Stores the record and its pending deliveries.
    public func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult {
        try withOpen { state in
            guard state.keyByMessageId[record.messageId] == nil else { return .duplicate }
            let key = state.nextKey
            state.nextKey += 1
            var deliveries: [String: Delivery] = [:]
            for sink in record.sinks { deliveries[sink] = Delivery(state: .pending, nextAttemptAt: record.receivedAt) }
            state.events[key] = Event(key: key, record: record, state: record.state, deliveries: deliveries)
            state.keyByMessageId[record.messageId] = key
            return .stored
        }
    }

    /// Holds due deliveries of `sink` under a new lease, oldest first.
    public func claim(sink: String, limit: Int, lease terms: LeaseTerms, now: Date) async throws(SpoolError)
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let lease = DeliveryLease.new(terms, now: now)
        return try withOpen { state in
            var claimed: [ClaimedDelivery] = []
            if terms.inOrder {
                let held = state.events.values.contains { event in
                    guard let delivery = event.deliveries[sink], delivery.state == .inFlight else { return false }
                    return (delivery.lease?.expiresAt ?? .distantPast) > now
                }
                if held { return [] }
            }
            for key in state.events.keys.sorted() {
                guard claimed.count < limit, var delivery = state.events[key]?.deliveries[sink] else { continue }
                let expired = delivery.state == .inFlight && (delivery.lease?.expiresAt ?? .distantPast) <= now
                guard (delivery.state == .pending && delivery.nextAttemptAt <= now) || expired else { continue }
                if expired {
                    delivery.attempts += 1
                    delivery.lastError = DeliveryLease.expiredNote
                }
                delivery.state = .inFlight
                delivery.lease = lease
                state.events[key]!.deliveries[sink] = delivery
                let record = state.events[key]!.record
                claimed.append(
                    ClaimedDelivery(
                        eventKey: key, sink: sink, attempts: delivery.attempts, messageId: record.messageId,
                        receivedAt: record.receivedAt, body: record.body, lease: lease))
            }
            return claimed
        }
    }

    /// Extends the lease where it still holds.
    public func renew(_ lease: DeliveryLease, until: Date) async throws(SpoolError) -> Int {
        try withOpen { state in
            var held = 0
            for key in state.events.keys {
                for (sink, delivery) in state.events[key]!.deliveries
                where delivery.state == .inFlight && delivery.lease?.token == lease.token {
                    state.events[key]!.deliveries[sink]!.lease!.expiresAt = until
                    held += 1
                }
            }
            return held
        }
    }

    /// Records results whose lease still holds.
    public func complete(_ results: [DeliveryResult]) async throws(SpoolError) -> CompletionReport {
        try withOpen { state in
            var recorded = 0
            for result in results {
                guard var delivery = state.events[result.eventKey]?.deliveries[result.sink],
                    delivery.state == .inFlight, delivery.lease?.token == result.leaseToken
                else { continue }
                delivery.lease = nil
                switch result.kind {
                case .delivered:
                    delivery.state = .delivered
                    delivery.nextAttemptAt = result.at
                case .retry(let next):
                    delivery.state = .pending
                    delivery.attempts += 1
                    delivery.nextAttemptAt = next
                    delivery.lastError = result.error
                case .failed:
                    delivery.state = .failed
                    delivery.attempts += 1
                    delivery.nextAttemptAt = result.at
                    delivery.lastError = result.error
                }
                state.events[result.eventKey]!.deliveries[result.sink] = delivery
                recorded += 1
            }
            return CompletionReport(recorded: recorded, ignored: results.count - recorded)
        }
    }

    /// The earliest pending due time or in-flight lease expiry of `sink`.
    public func nextDue(sink: String) async throws(SpoolError) -> Date? {
        try withOpen { state in
            state.events.values.compactMap { event -> Date? in
                guard let delivery = event.deliveries[sink] else { return nil }
                switch delivery.state {
                case .pending: return delivery.nextAttemptAt
                case .inFlight: return delivery.lease?.expiresAt ?? .distantPast
                case .delivered, .failed: return nil
                }
            }.min()
        }
    }

    /// Dead-letters the pending and expired in-flight deliveries of `sink`.
    public func deadLetter(sink: String, reason: String, now: Date) async throws(SpoolError) -> Int {
        try withOpen { state in
            var count = 0
            for key in state.events.keys {
                guard var delivery = state.events[key]!.deliveries[sink] else { continue }
                let expired = delivery.state == .inFlight && (delivery.lease?.expiresAt ?? .distantPast) <= now
                guard delivery.state == .pending || expired else { continue }
                delivery.state = .failed
                delivery.lastError = reason
                delivery.nextAttemptAt = now
                delivery.lease = nil
                state.events[key]!.deliveries[sink] = delivery
                count += 1
            }
            return count
        }
    }

    /// Deletes old events whose deliveries are all delivered; undeliverable events and dead letters stay.
    public func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int {
        try withOpen { state in
            let doomed = state.events.values.filter { event in
                event.record.receivedAt < cutoff && event.state != .undeliverable
                    && event.deliveries.values.allSatisfy { $0.state == .delivered }
            }
            for event in doomed {
                state.events[event.key] = nil
                state.keyByMessageId[event.record.messageId] = nil
            }
            return doomed.count
        }
    }

    /// Matching events, newest first, without bodies.
    public func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent] {
        try withOpen { state in
            Array(
                state.events.values.sorted { $0.key > $1.key }
                    .filter { Self.matches($0, query) }
                    .prefix(max(0, query.limit))
                    .map { Self.stored($0, withBody: false) })
        }
    }

    /// One event with its body, by message id or else by event id (the latest).
    public func event(_ idOrMessageId: String) async throws(SpoolError) -> StoredEvent? {
        try withOpen { state in
            let key =
                state.keyByMessageId[idOrMessageId]
                ?? state.events.values.filter { $0.record.eventId == idOrMessageId }.map(\.key).max()
            return key.flatMap { state.events[$0] }.map { Self.stored($0, withBody: true) }
        }
    }

    /// Resets or creates pending deliveries for the selected events.
    public func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int {
        try withOpen { state in
            var queued = 0
            for key in state.events.keys.sorted() {
                let event = state.events[key]!
                guard Self.matches(event, selection) else { continue }
                let stored = Self.stored(event, withBody: true)
                let targets = selection.targets(of: stored, routed: sinks(stored))
                for sink in targets { state.events[key]!.deliveries[sink] = Delivery(state: .pending, nextAttemptAt: now) }
                if !targets.isEmpty { state.events[key]!.state = .routed }
                queued += targets.count
            }
            return queued
        }
    }

    /// Deletes the failed deliveries of the selected events.
    public func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        try withOpen { state in
            var purged = 0
            for key in state.events.keys where Self.matches(state.events[key]!, selection) {
                for (sink, delivery) in state.events[key]!.deliveries
                where delivery.state == .failed && (selection.sink == nil || selection.sink == sink) {
                    state.events[key]!.deliveries[sink] = nil
                    purged += 1
                }
            }
            return purged
        }
    }

    /// Deletes the selected undeliverable events (ids and time range).
    public func purgeUndeliverable(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        let only = ReplaySelection(
            ids: selection.ids, eventState: .undeliverable, since: selection.since, until: selection.until)
        return try withOpen { state in
            let doomed = state.events.values.filter { Self.matches($0, only) }
            for event in doomed {
                state.events[event.key] = nil
                state.keyByMessageId[event.record.messageId] = nil
            }
            return doomed.count
        }
    }

    /// Delivery counts by sink and state.
    public func depth() async throws(SpoolError) -> [DepthRow] {
        try withOpen { state in
            var rows: [String: DepthRow] = [:]
            for event in state.events.values {
                for (sink, delivery) in event.deliveries {
                    let id = "\(sink)\u{0}\(delivery.state.rawValue)"
                    var row = rows[id] ?? DepthRow(sink: sink, state: delivery.state, count: 0, oldestReceivedAt: nil)
                    row.count += 1
                    row.oldestReceivedAt = min(row.oldestReceivedAt ?? .distantFuture, event.record.receivedAt)
                    rows[id] = row
                }
            }
            return rows.values.sorted { ($0.sink, $0.state.rawValue) < ($1.sink, $1.state.rawValue) }
        }
    }

    /// Succeeds while open.
    public func checkWritable() async throws(SpoolError) { try withOpen { _ in () } }

    /// Closes; later calls fail with `closed`.
    public func close() async throws(SpoolError) { state.withLock { $0.isClosed = true } }

    private static func stored(_ event: Event, withBody: Bool) -> StoredEvent {
        StoredEvent(
            key: event.key, messageId: event.record.messageId, eventId: event.record.eventId, type: event.record.type,
            tenant: event.record.tenant, receivedAt: event.record.receivedAt, state: event.state,
            reason: event.record.reason, body: withBody ? event.record.body : nil,
            deliveries: event.deliveries.keys.sorted().map { sink in
                let delivery = event.deliveries[sink]!
                return StoredDelivery(
                    sink: sink, state: delivery.state, attempts: delivery.attempts,
                    nextAttemptAt: delivery.nextAttemptAt, lastError: delivery.lastError)
            })
    }

    /// A listing's filter: a delivery state and a sink together ask for one delivery with both.
    private static func matches(_ event: Event, _ query: EventQuery) -> Bool {
        if let type = query.type, event.record.type != type { return false }
        return matches(event, eventState: query.eventState, since: query.since, until: query.until)
            && hasDelivery(event, state: query.deliveryState, sink: query.sink)
    }

    /// A replay's or purge's filter: the sink narrows events only together with a delivery state.
    private static func matches(_ event: Event, _ selection: ReplaySelection) -> Bool {
        let record = event.record
        if !selection.ids.isEmpty && !selection.ids.contains(record.messageId)
            && !selection.ids.contains(record.eventId)
        {
            return false
        }
        guard matches(event, eventState: selection.eventState, since: selection.since, until: selection.until)
        else { return false }
        return selection.deliveryState == nil || hasDelivery(event, state: selection.deliveryState, sink: selection.sink)
    }

    private static func matches(_ event: Event, eventState: StoredEventState?, since: Date?, until: Date?) -> Bool {
        if let eventState, event.state != eventState { return false }
        if let since, event.record.receivedAt < since { return false }
        if let until, event.record.receivedAt >= until { return false }
        return true
    }

    private static func hasDelivery(_ event: Event, state: DeliveryState?, sink: String?) -> Bool {
        guard state != nil || sink != nil else { return true }
        return event.deliveries.contains { name, delivery in
            (sink == nil || name == sink) && (state == nil || delivery.state == state)
        }
    }
}
