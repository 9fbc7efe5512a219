import EngageEvents
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers what the spool holds: per sink, `maxInFlight` workers claim due deliveries in receipt order, hand them to
/// the sink in batches and record each outcome; the engine, not the sink, owns retries, backoff and dead letters.
public final class Dispatcher: Service {
    private let spool: any Spool
    private let decoder: @Sendable () -> EventDecoder
    private let logger: Logger
    private let metrics: RelayMetrics
    private let clock: RelayClock
    private let jitter: @Sendable () -> Double
    private let lease: LeaseTerms
    private let lanes: Mutex<[String: Lane]>
    private let newLanes: AsyncStream<Lane>
    private let newLanesInput: AsyncStream<Lane>.Continuation
    private let stopFlag = StopFlag()
    private let recent: RecentEvents
    private let redactor: SecretRedactor
    private let linger: Duration

    /// One sink's workers: the sink, its policy, and what wakes, stops and awaits them.
    final class Lane: Sendable {
        let name: String
        let sink: any Sink
        let policy: DeliveryPolicy
        let bell = Doorbell()
        let stop = StopFlag()
        let started = StopFlag()
        let finished = Countdown()
        /// Set when a retiring lane's batches outlast the drain deadline: its workers give up on them.
        let abandon = AbandonSignal()

        init(name: String, sink: any Sink, policy: DeliveryPolicy) {
            self.name = name
            self.sink = sink
            self.policy = policy
            finished.expect(policy.maxInFlight)
        }
    }

    /// Creates a dispatcher over built sinks and their policies.
    ///
    /// - Parameters:
    ///   - decoder: Read before every batch, so a reload that changes the payload key applies from the next one.
    ///   - lease: Who this dispatcher claims as and how long a claim holds; batches renew it every third of it.
    ///   - clock: The time claims, outcomes and backoff are computed from.
    ///   - jitter: A number in `0...1` for the full-jitter backoff.
    ///   - redactor: The config's secret values, scrubbed from every reason before it is stored.
    ///   - linger: How long a worker waits before its next claim after one that did not fill a batch, so that under
    ///     a light load a sink's claims, completions and writes (a file sink's `fsync`) are shared by many events.
    public init(
        spool: any Spool, sinks: SinkSet, policies: [String: DeliveryPolicy],
        decoder: @escaping @Sendable () -> EventDecoder = { EventDecoder() }, logger: Logger,
        metrics: RelayMetrics = .none, recentEvents: Int = 1024,
        lease: LeaseTerms = LeaseTerms(owner: LeaseTerms.instanceID(), duration: .seconds(30)),
        clock: RelayClock = .system, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        redactor: SecretRedactor = SecretRedactor(), linger: Duration = .milliseconds(10)
    ) {
        self.linger = linger
        self.recent = RecentEvents(capacity: recentEvents)
        self.redactor = redactor
        self.spool = spool
        self.decoder = decoder
        self.logger = logger
        self.metrics = metrics
        self.lease = lease
        self.clock = clock
        self.jitter = jitter
        (newLanes, newLanesInput) = AsyncStream.makeStream(of: Lane.self)
        let initial = sinks.sinks.map {
            Lane(name: $0.name, sink: $0.sink, policy: policies[$0.name] ?? DeliveryPolicy(batchSize: 1, maxInFlight: 1, retry: .default))
        }
        lanes = Mutex(Dictionary(uniqueKeysWithValues: initial.map { ($0.name, $0) }))
        for lane in initial { newLanesInput.yield(lane) }
    }

    /// Takes note of an event just stored for `sinks` and wakes their workers; the event is delivered as decoded
    /// here while it is recent, instead of being decoded again from the spool.
    public func accepted(_ event: EngageEvent, sinks: [String]) {
        guard !sinks.isEmpty else { return }
        let routed = lanes.withLock { lanes in sinks.compactMap { lanes[$0] } }
        // The copy in `recent` shares the parsed payload with this one.
        if routed.contains(where: \.sink.readsPayload) { _ = event.payload }
        recent.remember(event)
        for lane in routed { lane.bell.ring() }
    }

    /// Wakes the workers of `sink` (new deliveries were queued).
    public func notify(sink: String) { lanes.withLock { $0[sink] }?.bell.ring() }

    /// The names of the sinks being delivered to now.
    public var sinkNames: [String] { lanes.withLock { $0.keys.sorted() } }

    /// Stops the workers of the named sinks after their current batches and returns the sinks once every worker has
    /// stopped, for the caller to close. Their deliveries stay in the spool.
    ///
    /// A batch still running after `timeout` (a sink stuck in I/O) is given up on: its worker stops without waiting
    /// for it, and its deliveries are made again once their lease runs out.
    public func retire(_ names: [String], within timeout: Duration = .seconds(30)) async -> [(name: String, sink: any Sink)] {
        let retired = lanes.withLock { lanes in names.compactMap { lanes.removeValue(forKey: $0) } }
        for lane in retired {
            lane.stop.set()
            lane.bell.ring()
        }
        let deadline = AbandonSignal.after(timeout)
        defer { deadline.dismiss() }
        // A lane whose workers never started has nothing to wait for; if they start later they see `stop` and exit.
        for lane in retired where lane.started.isSet {
            if await unlessAbandoned(deadline, { await lane.finished.wait() }) == nil {
                lane.abandon.set()
                await lane.finished.wait()
            }
        }
        return retired.map { ($0.name, $0.sink) }
    }

    /// Starts delivering to newly built sinks (a sink already running under the same name is left as it is).
    public func start(_ sinks: [(name: String, sink: any Sink, policy: DeliveryPolicy)]) {
        for (name, sink, policy) in sinks {
            let lane = Lane(name: name, sink: sink, policy: policy)
            let added = lanes.withLock { lanes -> Bool in
                guard lanes[name] == nil else { return false }
                lanes[name] = lane
                return true
            }
            if added { newLanesInput.yield(lane) }
        }
    }

    /// The sinks being delivered to now, for closing at shutdown.
    public var currentSinks: SinkSet { SinkSet(sinks: lanes.withLock { $0.values.map { ($0.name, $0.sink) } }) }

    /// Runs every worker until graceful shutdown; current batches finish, then the workers stop.
    public func run() async throws {
        // Another receiver's ingest wakes the lanes it queued work for (a shared spool); `*` wakes every lane.
        let wakeups = spool.dueNotifications().map { stream in
            Task { [self] in
                for await sink in stream {
                    if sink == "*" {
                        for lane in lanes.withLock({ Array($0.values) }) { lane.bell.ring() }
                    } else {
                        notify(sink: sink)
                    }
                }
            }
        }
        defer { wakeups?.cancel() }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for await lane in newLanes {
                    lane.started.set()
                    for _ in 0..<lane.policy.maxInFlight {
                        group.addTask {
                            await self.work(lane)
                            lane.finished.done()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.stopFlag.set()
            self.newLanesInput.finish()
            for lane in self.lanes.withLock({ Array($0.values) }) { lane.bell.ring() }
        }
    }

    private func work(_ lane: Lane) async {
        let name = lane.name
        var workerLogger = logger
        workerLogger[metadataKey: "relay.sink"] = .string(name)
        // One worker per sink keeps receipt order; with a shared spool the claim itself keeps it across receivers.
        var terms = lease
        terms.inOrder = lane.policy.maxInFlight == 1
        while !stopFlag.isSet && !lane.stop.isSet && !Task.isCancelled {
            let claimed: [ClaimedDelivery]
            do {
                claimed = try await spool.claim(sink: name, limit: lane.policy.batchSize, lease: terms, now: clock.now())
            } catch {
                workerLogger.error("spool claim failed", metadata: ["relay.error": .string(error.description)])
                await lane.bell.wait(timeout: .seconds(1))
                continue
            }
            guard let held = claimed.first?.lease else {
                var timeout = Duration.seconds(1)
                if let due = try? await spool.nextDue(sink: name) {
                    // Something is due that this claim could not take: another receiver holds it (or the sink's lane,
                    // for in-order delivery). Poll it every 100 ms rather than spin.
                    let floor = due <= clock.now() ? 100 : 1
                    timeout = .milliseconds(max(floor, min(1000, Int(due.timeIntervalSince(clock.now()) * 1000) + 1)))
                }
                await lane.bell.wait(timeout: timeout)
                continue
            }
            let batchLogger = workerLogger
            let finished = await whileRenewing(held) {
                await unlessAbandoned(lane.abandon) {
                    await self.deliver(claimed, to: lane.sink, policy: lane.policy, logger: batchLogger)
                }
            }
            guard let results = finished else {
                // The drain deadline passed (shutdown cancelled this worker, or a reload gave up on the lane).
                workerLogger.warning(
                    "a batch was given up on at the drain deadline; its deliveries are made again after their lease",
                    metadata: ["relay.count": "\(claimed.count)"])
                break
            }
            do {
                let report = try await spool.complete(results)
                if report.ignored > 0 {
                    metrics.lateOutcomes(sink: name, count: report.ignored)
                    workerLogger.warning(
                        "outcomes arrived after their lease ran out and were ignored (the deliveries are due again)",
                        metadata: ["relay.count": "\(report.ignored)"])
                }
            } catch {
                // The deliveries stay in flight until their lease runs out; then any worker claims them again
                // (at-least-once).
                workerLogger.error("spool complete failed", metadata: ["relay.error": .string(error.description)])
            }
            record(results, claimed: claimed, sink: name)
            if linger > .zero, claimed.count < lane.policy.batchSize { try? await Task.sleep(for: linger) }
        }
    }

    /// Runs `body` while renewing `held` every third of the lease, so a long batch keeps its deliveries.
    private func whileRenewing<T: Sendable>(_ held: DeliveryLease, _ body: () async -> T) async -> T {
        let interval = lease.duration / 3
        let renewal = Task { [spool, clock, lease] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                _ = try? await spool.renew(held, until: clock.now().addingTimeInterval(lease.duration.seconds))
            }
        }
        defer { renewal.cancel() }
        return await body()
    }

    private func record(_ results: [DeliveryResult], claimed: [ClaimedDelivery], sink: String) {
        let receivedAt = Dictionary(claimed.map { ($0.eventKey, $0.receivedAt) }, uniquingKeysWith: { first, _ in first })
        for result in results {
            switch result.kind {
            case .delivered:
                metrics.delivery(sink: sink, outcome: .delivered)
                if let received = receivedAt[result.eventKey] {
                    metrics.deliveryLag(sink: sink, .seconds(max(0, result.at.timeIntervalSince(received))))
                }
            case .retry: metrics.delivery(sink: sink, outcome: .retried)
            case .failed: metrics.delivery(sink: sink, outcome: .deadLettered)
            }
        }
    }

    /// Delivers one claimed batch and turns the sink's outcomes into spool results.
    func deliver(
        _ claimed: [ClaimedDelivery], to sink: any Sink, policy: DeliveryPolicy, logger: Logger
    ) async -> [DeliveryResult] {
        let decoder = decoder()
        var results: [DeliveryResult?] = Array(repeating: nil, count: claimed.count)
        var events: [EngageEvent] = []
        var positions: [Int] = []
        for (index, delivery) in claimed.enumerated() {
            do {
                if let known = recent.event(messageId: delivery.messageId) {
                    events.append(known)
                } else {
                    events.append(try decoder.decode(delivery.body, messageId: delivery.messageId, receivedAt: delivery.receivedAt))
                }
                positions.append(index)
            } catch {
                results[index] = DeliveryResult(delivery, .failed, error: error.description, at: clock.now())
            }
        }
        var outcomes: [DeliveryOutcome]
        if events.isEmpty {
            outcomes = []
        } else {
            let started = ContinuousClock.now
            defer { metrics.deliveryDuration(sink: claimed[0].sink, ContinuousClock.now - started) }
            do {
                outcomes = try await sink.deliver(events)
                if outcomes.count != events.count {
                    outcomes = Array(
                        repeating: .retry(reason: "sink returned \(outcomes.count) outcomes for \(events.count) events"),
                        count: events.count)
                }
            } catch {
                outcomes = Array(repeating: .retry(reason: String(describing: error)), count: events.count)
            }
        }
        let finished = clock.now()
        for (outcome, index) in zip(outcomes, positions) {
            let delivery = claimed[index]
            results[index] = result(for: outcome, of: delivery, policy: policy, at: finished)
            if case .delivered = outcome {
                logger.debug("delivered", metadata: ["relay.message.id": .string(delivery.messageId)])
            } else {
                logger.info(
                    "delivery attempt failed",
                    metadata: [
                        "relay.message.id": .string(delivery.messageId), "relay.attempt": .stringConvertible(delivery.attempts + 1),
                        "relay.outcome": .string(results[index].map { "\($0.kind)" } ?? "-"),
                    ])
            }
        }
        return results.compactMap { $0 }
    }

    /// The spool result for one outcome: retries are scheduled with backoff until attempts or age run out.
    ///
    /// A sink's delay hint is held to `[minBackoff, maxBackoff]`. A retry that would fall after `max-age` is moved
    /// to that boundary, one last attempt, unless less than `minBackoff` is left before it: then the delivery
    /// becomes a dead letter now, so no retry ever comes sooner than the minimum backoff.
    func result(for outcome: DeliveryOutcome, of delivery: ClaimedDelivery, policy: DeliveryPolicy, at time: Date)
        -> DeliveryResult
    {
        let attempt = delivery.attempts + 1
        switch outcome {
        case .delivered:
            return DeliveryResult(delivery, .delivered, at: time)
        case .failed(let reason):
            return DeliveryResult(delivery, .failed, error: bounded(reason), at: time)
        case .retry(let reason, let after):
            let retry = policy.retry
            guard attempt < retry.maxAttempts else {
                return DeliveryResult(
                    delivery, .failed, error: bounded("gave up after \(attempt) attempts: \(reason)"), at: time)
            }
            let delay = after.map(retry.bounded(hint:)) ?? retry.delay(afterAttempt: attempt, unit: jitter)
            let deadline = delivery.receivedAt.addingTimeInterval(retry.maxAge.seconds)
            var next = time.addingTimeInterval(delay.seconds)
            if next > deadline {
                guard deadline.timeIntervalSince(time) >= retry.minBackoff.seconds else {
                    return DeliveryResult(
                        delivery, .failed, error: bounded("gave up after max-age: \(reason)"), at: time)
                }
                next = deadline
            }
            return DeliveryResult(delivery, .retry(at: next), error: bounded(reason), at: time)
        }
    }

    /// A reason as stored: scrubbed of the config's secrets, then cut to 2 KiB.
    func bounded(_ reason: String) -> String {
        let text = redactor.redact(reason)
        return text.utf8.count <= 2048 ? text : String(decoding: text.utf8.prefix(2048), as: UTF8.self) + "…"
    }
}

/// A flag set once, read by many workers.
final class StopFlag: Sendable {
    private let state = Synchronization.Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}

/// Lets one task wait until a number of others have finished.
final class Countdown: Sendable {
    private struct State {
        var remaining = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Synchronization.Mutex(State())

    /// Adds `count` to the tasks to wait for.
    func expect(_ count: Int) { state.withLock { $0.remaining += count } }

    /// One task finished.
    func done() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.remaining -= 1
            guard state.remaining <= 0 else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every expected task has finished.
    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                guard state.remaining > 0 else { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
