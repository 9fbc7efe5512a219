import EngageEvents
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers what the spool holds: per sink, `maxInFlight` workers claim due deliveries in receipt order, hand them to
/// the sink in batches and record each outcome; the engine, not the sink, owns retries, backoff and dead letters.
public final class Dispatcher: Service {
    private let spool: any Spool
    private let sinks: [(name: String, sink: any Sink, policy: DeliveryPolicy)]
    private let decoder: EventDecoder
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let jitter: @Sendable () -> Double
    private let doorbells: [String: Doorbell]
    private let stopping = Doorbell()
    private let stopFlag = StopFlag()

    /// Creates a dispatcher over built sinks and their policies.
    public init(
        spool: any Spool, sinks: SinkSet, policies: [String: DeliveryPolicy], decoder: EventDecoder = EventDecoder(),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.spool = spool
        self.sinks = sinks.sinks.map { ($0.name, $0.sink, policies[$0.name] ?? DeliveryPolicy(batchSize: 1, maxInFlight: 1, retry: .default)) }
        self.decoder = decoder
        self.logger = logger
        self.now = now
        self.jitter = jitter
        self.doorbells = Dictionary(uniqueKeysWithValues: sinks.sinks.map { ($0.name, Doorbell()) })
    }

    /// Wakes the workers of `sink` (new deliveries were queued).
    public func notify(sink: String) { doorbells[sink]?.ring() }

    /// Runs every worker until graceful shutdown; current batches finish, then the workers stop.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for (name, sink, policy) in sinks {
                    for _ in 0..<policy.maxInFlight {
                        group.addTask { await self.work(name: name, sink: sink, policy: policy) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.stopFlag.set()
            for bell in self.doorbells.values { bell.ring() }
        }
    }

    private func work(name: String, sink: any Sink, policy: DeliveryPolicy) async {
        var workerLogger = logger
        workerLogger[metadataKey: "relay.sink"] = .string(name)
        let bell = doorbells[name]!
        while !stopFlag.isSet && !Task.isCancelled {
            let claimed: [ClaimedDelivery]
            do {
                claimed = try await spool.claim(sink: name, limit: policy.batchSize, now: now())
            } catch {
                workerLogger.error("spool claim failed", metadata: ["relay.error": .string(error.description)])
                await bell.wait(timeout: .seconds(1))
                continue
            }
            guard !claimed.isEmpty else {
                var timeout = Duration.seconds(1)
                if let due = try? await spool.nextDue(sink: name) {
                    timeout = .milliseconds(max(1, min(1000, Int(due.timeIntervalSince(now()) * 1000) + 1)))
                }
                await bell.wait(timeout: timeout)
                continue
            }
            let results = await deliver(claimed, to: sink, policy: policy, logger: workerLogger)
            do {
                try await spool.complete(results)
            } catch {
                // The rows stay in-flight; the next start puts them back to pending (at-least-once).
                workerLogger.error("spool complete failed", metadata: ["relay.error": .string(error.description)])
            }
        }
    }

    /// Delivers one claimed batch and turns the sink's outcomes into spool results.
    func deliver(
        _ claimed: [ClaimedDelivery], to sink: any Sink, policy: DeliveryPolicy, logger: Logger
    ) async -> [DeliveryResult] {
        var results: [DeliveryResult?] = Array(repeating: nil, count: claimed.count)
        var events: [EngageEvent] = []
        var positions: [Int] = []
        for (index, delivery) in claimed.enumerated() {
            do {
                events.append(try decoder.decode(delivery.body, messageId: delivery.messageId, receivedAt: delivery.receivedAt))
                positions.append(index)
            } catch {
                results[index] = DeliveryResult(
                    eventKey: delivery.eventKey, sink: delivery.sink, kind: .failed, error: error.description, at: now())
            }
        }
        var outcomes: [DeliveryOutcome]
        if events.isEmpty {
            outcomes = []
        } else {
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
        let finished = now()
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
    func result(for outcome: DeliveryOutcome, of delivery: ClaimedDelivery, policy: DeliveryPolicy, at time: Date)
        -> DeliveryResult
    {
        let attempt = delivery.attempts + 1
        switch outcome {
        case .delivered:
            return DeliveryResult(eventKey: delivery.eventKey, sink: delivery.sink, kind: .delivered, at: time)
        case .failed(let reason):
            return DeliveryResult(
                eventKey: delivery.eventKey, sink: delivery.sink, kind: .failed, error: Self.bounded(reason), at: time)
        case .retry(let reason, let after):
            let delay = after ?? policy.retry.delay(afterAttempt: attempt, unit: jitter)
            let next = time.addingTimeInterval(delay.seconds)
            let tooOld = next.timeIntervalSince(delivery.receivedAt) > policy.retry.maxAge.seconds
            guard attempt < policy.retry.maxAttempts, !tooOld else {
                let why = tooOld ? "gave up after max-age" : "gave up after \(attempt) attempts"
                return DeliveryResult(
                    eventKey: delivery.eventKey, sink: delivery.sink, kind: .failed,
                    error: Self.bounded("\(why): \(reason)"), at: time)
            }
            return DeliveryResult(
                eventKey: delivery.eventKey, sink: delivery.sink, kind: .retry(at: next), error: Self.bounded(reason),
                at: time)
        }
    }

    static func bounded(_ text: String) -> String {
        text.utf8.count <= 2048 ? text : String(decoding: text.utf8.prefix(2048), as: UTF8.self) + "…"
    }
}

/// A flag set once, read by many workers.
final class StopFlag: Sendable {
    private let state = Synchronization.Mutex(false)
    var isSet: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
