import Foundation

/// Durable storage of accepted events and their per-sink deliveries: the receiver answers 2xx only after
/// ``append(_:)`` returned, and the ``Dispatcher`` works from what it holds.
///
/// Deliveries are worked under **leases**: ``claim(sink:limit:lease:now:)`` holds each claimed delivery under a
/// token until `now + lease.duration`; only ``complete(_:)`` results that carry a token still held are recorded;
/// a delivery whose lease ran out is due again for anyone. One model covers a crashed process, a stuck sink call,
/// an outcome that could not be recorded and several receivers sharing one spool; no start-up reset is needed.
///
/// Implementations must survive `kill -9` at any instant: nothing whose `append` returned may be lost.
/// `SpoolConformance` in `RelayTesting` is the contract every implementation passes.
public protocol Spool: Sendable {
    /// Stores the event and one pending delivery per sink in one durable transaction.
    ///
    /// Returns ``SpoolAppendResult/duplicate`` (and stores nothing) when an event with the same message id is held.
    func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult

    /// Holds up to `limit` due deliveries of `sink` under one new lease and returns them, oldest receipt first.
    ///
    /// Its cost must grow with what is due, not with what waits: a backlog not yet due (retries in backoff) must not
    /// slow claims. An implementation may order by due time instead when thousands are due behind such a backlog.
    ///
    /// Due means pending with `nextAttemptAt <= now`, or in flight under a lease that expired at or before `now`;
    /// the latter's lost attempt counts as made (`attempts` grows by one, with a note as its error).
    func claim(sink: String, limit: Int, lease: LeaseTerms, now: Date) async throws(SpoolError) -> [ClaimedDelivery]

    /// Extends `lease` to `until` for the deliveries it still holds; returns how many it holds.
    func renew(_ lease: DeliveryLease, until: Date) async throws(SpoolError) -> Int

    /// Records the outcomes of claimed deliveries whose lease token still holds them; a result for a delivery that
    /// was claimed again, replayed or dead-lettered meanwhile is ignored and counted in the report.
    func complete(_ results: [DeliveryResult]) async throws(SpoolError) -> CompletionReport

    /// When `sink` next has something due: the earliest pending `nextAttemptAt` or in-flight lease expiry, if any.
    func nextDue(sink: String) async throws(SpoolError) -> Date?

    /// Makes every pending delivery of `sink`, and every one in flight under an expired lease, a dead letter with
    /// `reason` (a sink removed from the config); returns how many.
    func deadLetter(sink: String, reason: String, now: Date) async throws(SpoolError) -> Int

    /// Deletes events received before `cutoff` whose deliveries are all delivered (or that were unrouted).
    /// Dead letters and undeliverable events stay until purged. Returns how many events were deleted.
    func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int

    /// Events matching the query, newest first.
    func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent]

    /// One event by its event id or message id.
    func event(_ idOrMessageId: String) async throws(SpoolError) -> StoredEvent?

    /// Creates or resets deliveries to pending (attempts 0, due now) for the selected events and sinks.
    ///
    /// For each selected event: `sinks(event)` says which sinks it should reach now (current routes);
    /// existing deliveries to those sinks are reset (releasing any lease), missing ones are created.
    /// Returns how many deliveries were queued.
    func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int

    /// Deletes dead letters (failed deliveries) matching the selection; returns how many.
    func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int

    /// Deletes undeliverable events (authentic bodies that could not be decoded, not replayed since) matching the
    /// selection's ids and time range, bodies included; returns how many. Events in any other state stay.
    func purgeUndeliverable(_ selection: ReplaySelection) async throws(SpoolError) -> Int

    /// Up to `limit` events received after the event with key `key` (0: from the first), in receipt order, with
    /// bodies and deliveries: a spool read whole, for `spool copy`.
    func exportEvents(after key: Int64, limit: Int) async throws(SpoolError) -> [StoredEvent]

    /// Stores copies of events read from another spool (``exportEvents(after:limit:)``), with their states,
    /// reasons, bodies and deliveries, in one transaction; an event whose message id is already held is skipped,
    /// so importing twice stores nothing twice. Deliveries that were in flight become pending (their lease belonged
    /// to the other spool's claimants), keeping their attempts. Returns how many events were new.
    func importEvents(_ events: [StoredEvent], now: Date) async throws(SpoolError) -> Int

    /// Counts of deliveries by sink and state, for metrics and `events list` summaries, with the oldest receipt
    /// among pending and among in-flight deliveries (other states may leave it nil). Called on a timer by every
    /// receiver: its cost must not grow with the delivered history.
    func depth() async throws(SpoolError) -> [DepthRow]

    /// Throws unless the spool can take a write transaction now (for readiness checks); changes nothing.
    func checkWritable() async throws(SpoolError)

    /// Flushes and closes; later calls fail.
    func close() async throws(SpoolError)

    /// Names of sinks that got new deliveries from another process sharing this spool, for a dispatcher to wake
    /// their workers at once instead of at its next poll; nil (the default) when the spool has no such signal.
    /// Each call makes a new stream; it ends when the spool closes.
    func dueNotifications() -> AsyncStream<String>?
}

extension Spool {
    /// No signal: dispatchers poll.
    public func dueNotifications() -> AsyncStream<String>? { nil }
}
