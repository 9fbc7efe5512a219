import EngageEvents
import Foundation
import Logging
import RelayCore
import RelaySpoolSQLite
import RelayTesting
import Synchronization
import Testing

/// The spools the engine tests run over: the in-memory reference and the embedded SQLite spool on a real file.
enum SpoolUnderTest: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite

    var testDescription: String { rawValue }

    func make() throws -> any Spool {
        switch self {
        case .memory:
            return InMemorySpool()
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("dispatcher-\(UUID()).db").path
            return try SQLiteSpool(path: path, logger: Logger(label: "test"))
        }
    }
}

/// A sink whose outcome for each event a test decides, counting calls and how many run at once.
final class ScriptedSink: Sink {
    static let kind = "scripted"
    static let summary = "test sink"
    static let options: [SinkOption] = []

    private let outcome: @Sendable (EngageEvent, Int) async -> DeliveryOutcome
    private let state = Mutex((calls: [String](), running: 0, mostAtOnce: 0))

    init(_ outcome: @escaping @Sendable (EngageEvent, _ call: Int) async -> DeliveryOutcome = { _, _ in .delivered }) {
        self.outcome = outcome
    }

    init(configuration: SinkConfiguration, context: SinkContext) { outcome = { _, _ in .delivered } }

    /// Message ids in the order they were handed over (repeats included).
    var calls: [String] { state.withLock { $0.calls } }
    /// The most batches that were being delivered at one time.
    var mostAtOnce: Int { state.withLock { $0.mostAtOnce } }

    func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        let call = state.withLock { state -> Int in
            state.calls += batch.map(\.messageId)
            state.running += 1
            state.mostAtOnce = max(state.mostAtOnce, state.running)
            return state.calls.count
        }
        defer { state.withLock { $0.running -= 1 } }
        var outcomes: [DeliveryOutcome] = []
        for event in batch { outcomes.append(await outcome(event, call)) }
        return outcomes
    }
}

/// A spool whose first `complete` fails, as when the database is briefly unwritable after a delivery was made.
final class FirstCompletionFails: Spool {
    let base: any Spool
    private let failed = Mutex(false)

    init(_ base: any Spool) { self.base = base }

    func complete(_ results: [DeliveryResult]) async throws(SpoolError) -> CompletionReport {
        if failed.withLock({ done in defer { done = true }; return !done }) {
            throw SpoolError(.storageFailed, "injected: the outcome could not be recorded")
        }
        return try await base.complete(results)
    }

    func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult { try await base.append(record) }
    func claim(sink: String, limit: Int, lease: LeaseTerms, now: Date) async throws(SpoolError) -> [ClaimedDelivery] {
        try await base.claim(sink: sink, limit: limit, lease: lease, now: now)
    }
    func renew(_ lease: DeliveryLease, until: Date) async throws(SpoolError) -> Int { try await base.renew(lease, until: until) }
    func nextDue(sink: String) async throws(SpoolError) -> Date? { try await base.nextDue(sink: sink) }
    func deadLetter(sink: String, reason: String, now: Date) async throws(SpoolError) -> Int {
        try await base.deadLetter(sink: sink, reason: reason, now: now)
    }
    func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int { try await base.prune(receivedBefore: cutoff) }
    func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent] { try await base.events(query) }
    func event(_ id: String) async throws(SpoolError) -> StoredEvent? { try await base.event(id) }
    func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int { try await base.replay(selection, now: now, sinks: sinks) }
    func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int { try await base.purge(selection) }
    func purgeUndeliverable(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        try await base.purgeUndeliverable(selection)
    }
    func exportEvents(after key: Int64, limit: Int) async throws(SpoolError) -> [StoredEvent] {
        try await base.exportEvents(after: key, limit: limit)
    }
    func importEvents(_ events: [StoredEvent], now: Date) async throws(SpoolError) -> Int {
        try await base.importEvents(events, now: now)
    }
    func depth() async throws(SpoolError) -> [DepthRow] { try await base.depth() }
    func checkWritable() async throws(SpoolError) { try await base.checkWritable() }
    func close() async throws(SpoolError) { try await base.close() }
}

/// A dispatcher running over a spool with a manual clock and fixed jitter, stopped when the test ends.
struct Engine {
    let spool: any Spool
    let clock: ManualClock
    let dispatcher: Dispatcher
    let task: Task<Void, any Error>

    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    init(
        spool: any Spool, sinks: [String: any Sink], policy: DeliveryPolicy, lease: Duration = .seconds(30),
        clock: ManualClock = ManualClock(Engine.start), jitter: Double = 1
    ) {
        self.spool = spool
        self.clock = clock
        dispatcher = Dispatcher(
            spool: spool, sinks: SinkSet(sinks: sinks.map { ($0.key, $0.value) }),
            policies: sinks.mapValues { _ in policy }, logger: Logger(label: "test"),
            lease: LeaseTerms(owner: "test", duration: lease), clock: clock.relay, jitter: { jitter })
        task = Task { [dispatcher] in try await dispatcher.run() }
    }

    /// Stores an event for `sinks` received now, and wakes their lanes.
    func append(_ id: String, sinks: [String] = ["a"]) async throws {
        let body = #"{"eventType":"contact.created","id":"\#(id)","isEncrypted":false,"payload":{},"tenant":"se"}"#
        _ = try await spool.append(
            SpoolRecord(
                messageId: id, eventId: id, type: "contact.created", tenant: "se", receivedAt: clock.now,
                body: Array(body.utf8), sinks: sinks, state: .routed))
        for sink in sinks { dispatcher.notify(sink: sink) }
    }

    func delivery(_ id: String, sink: String = "a") async throws -> StoredDelivery? {
        try await spool.event(id)?.deliveries.first { $0.sink == sink }
    }

    /// Moves the clock and wakes every lane.
    func advance(by seconds: TimeInterval) {
        clock.advance(by: seconds)
        for name in dispatcher.sinkNames { dispatcher.notify(sink: name) }
    }

    func stop() async throws {
        task.cancel()
        _ = await task.result
        try await spool.close()
    }
}

/// Polls until `condition` holds, failing the test after `timeout` (a bound on waiting, never a timing assertion).
func eventually(
    _ what: String, timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("not reached within \(timeout): \(what)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

@Suite("Dispatcher over a real spool, with a manual clock")
struct DispatcherTests {
    static let oneAtATime = DeliveryPolicy(
        batchSize: 1, maxInFlight: 1,
        retry: RetryPolicy(maxAttempts: 5, minBackoff: .seconds(2), maxBackoff: .seconds(10), maxAge: .seconds(86_400)))

    @Test("retries wait within the backoff bounds, then the delivery becomes a dead letter", arguments: SpoolUnderTest.allCases)
    func retriesStayWithinBounds(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, _ in .retry(reason: "peer busy") }
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: Self.oneAtATime, jitter: 1)
        try await engine.append("msg_1")
        var gaps: [TimeInterval] = []
        for attempt in 1...4 {
            try await eventually("attempt \(attempt) recorded") { try await engine.delivery("msg_1")?.attempts == attempt }
            let next = try #require(try await engine.delivery("msg_1")).nextAttemptAt
            gaps.append(next.timeIntervalSince(engine.clock.now))
            engine.advance(by: next.timeIntervalSince(engine.clock.now))
        }
        // Full jitter at its top: 2s, 4s, 8s, then capped at 10s.
        #expect(gaps == [2, 4, 8, 10])
        try await eventually("dead letter after 5 attempts") { try await engine.delivery("msg_1")?.state == .failed }
        let dead = try #require(try await engine.delivery("msg_1"))
        #expect(dead.attempts == 5)
        #expect(dead.lastError?.contains("gave up after 5 attempts") == true)
        #expect(sink.calls.count == 5)
        try await engine.stop()
    }

    @Test("the smallest jitter still waits the minimum backoff", arguments: SpoolUnderTest.allCases)
    func retriesNeverComeSoonerThanTheMinimum(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, call in call == 1 ? .retry(reason: "busy") : .delivered }
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: Self.oneAtATime, jitter: 0)
        try await engine.append("msg_1")
        try await eventually("first attempt recorded") { try await engine.delivery("msg_1")?.attempts == 1 }
        let next = try #require(try await engine.delivery("msg_1")).nextAttemptAt
        #expect(next.timeIntervalSince(engine.clock.now) == 2)
        engine.advance(by: 1)
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.calls.count == 1, "a retry came before its time")
        engine.advance(by: 1)
        try await eventually("delivered on the retry") { try await engine.delivery("msg_1")?.state == .delivered }
        try await engine.stop()
    }

    /// The gaps between the attempts of one delivery that keeps asking to be retried, until it is a dead letter.
    func retryGaps(_ sink: ScriptedSink, kind: SpoolUnderTest, policy: DeliveryPolicy = oneAtATime) async throws
        -> (gaps: [TimeInterval], dead: StoredDelivery)
    {
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: policy, jitter: 1)
        try await engine.append("msg_1")
        var gaps: [TimeInterval] = []
        for attempt in 1...policy.retry.maxAttempts {
            try await eventually("attempt \(attempt) recorded") {
                try await engine.delivery("msg_1")?.attempts == attempt
            }
            let delivery = try #require(try await engine.delivery("msg_1"))
            if delivery.state == .failed {
                try await engine.stop()
                return (gaps, delivery)
            }
            gaps.append(delivery.nextAttemptAt.timeIntervalSince(engine.clock.now))
            engine.advance(by: delivery.nextAttemptAt.timeIntervalSince(engine.clock.now))
        }
        try await engine.stop()
        throw TestFailure("no dead letter after \(policy.retry.maxAttempts) attempts")
    }

    @Test("a Retry-After of 0 waits the minimum backoff each time, never less", arguments: SpoolUnderTest.allCases)
    func aZeroHintWaitsTheMinimum(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, _ in .retry(reason: "HTTP 503", after: .zero) }
        let (gaps, dead) = try await retryGaps(sink, kind: kind)
        // Without the floor the four retries would all have been due at once.
        #expect(gaps == [2, 2, 2, 2])
        #expect(dead.attempts == 5 && sink.calls.count == 5)
    }

    @Test("a Retry-After beyond the maximum backoff waits the maximum", arguments: SpoolUnderTest.allCases)
    func aHugeHintWaitsTheMaximum(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, _ in .retry(reason: "HTTP 429", after: .seconds(86_400 * 365)) }
        let (gaps, dead) = try await retryGaps(sink, kind: kind)
        #expect(gaps == [10, 10, 10, 10])
        #expect(dead.lastError?.contains("gave up after 5 attempts") == true)
    }

    @Test(
        "a retry that would fall after max-age is made at max-age, as a last attempt, not dead-lettered at once",
        arguments: SpoolUnderTest.allCases)
    func aRetryPastMaxAgeIsMadeAtMaxAge(kind: SpoolUnderTest) async throws {
        let policy = DeliveryPolicy(
            batchSize: 1, maxInFlight: 1,
            retry: RetryPolicy(
                maxAttempts: 30, minBackoff: .seconds(2), maxBackoff: .seconds(600), maxAge: .seconds(100)))
        let sink = ScriptedSink { _, _ in .retry(reason: "HTTP 503", after: .seconds(3600)) }
        let (gaps, dead) = try await retryGaps(sink, kind: kind, policy: policy)
        // The first failure asked for an hour: held to 10 min, then moved to max-age (100 s after receipt).
        #expect(gaps.first == 100)
        #expect(dead.attempts == 2 && sink.calls.count == 2)
        #expect(dead.lastError?.hasPrefix("gave up after max-age: HTTP 503") == true)
    }

    @Test("a poison event that keeps failing never holds up the events behind it", arguments: SpoolUnderTest.allCases)
    func poisonEventDoesNotBlockOthers(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { event, _ in event.messageId == "msg_poison" ? .retry(reason: "poison") : .delivered }
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: Self.oneAtATime)
        try await engine.append("msg_poison")
        for n in 1...5 { try await engine.append("msg_\(n)") }
        try await eventually("the five others delivered") {
            for n in 1...5 where try await engine.delivery("msg_\(n)")?.state != .delivered { return false }
            return true
        }
        let poison = try #require(try await engine.delivery("msg_poison"))
        #expect(poison.state == .pending && poison.attempts == 1)
        #expect(sink.calls.first == "msg_poison")
        try await engine.stop()
    }

    @Test("max-in-flight bounds how many batches run at once", arguments: SpoolUnderTest.allCases)
    func maxInFlightIsHonoured(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, _ in
            try? await Task.sleep(for: .milliseconds(30))
            return .delivered
        }
        let policy = DeliveryPolicy(batchSize: 1, maxInFlight: 3, retry: .default)
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: policy)
        for n in 1...24 { try await engine.append("msg_\(n)") }
        try await eventually("all delivered") { Set(sink.calls).count == 24 }
        #expect(sink.mostAtOnce <= 3)
        #expect(sink.mostAtOnce >= 2, "three workers never overlapped")
        #expect(sink.calls.count == 24, "an event was delivered twice")
        try await engine.stop()
    }

    @Test("a permanent failure becomes a dead letter at once, with its reason", arguments: SpoolUnderTest.allCases)
    func permanentFailureIsADeadLetter(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, _ in .failed(reason: "422 unprocessable") }
        let engine = Engine(spool: try kind.make(), sinks: ["a": sink], policy: Self.oneAtATime)
        try await engine.append("msg_1")
        try await eventually("dead letter") { try await engine.delivery("msg_1")?.state == .failed }
        let dead = try #require(try await engine.delivery("msg_1"))
        #expect(dead.attempts == 1 && dead.lastError == "422 unprocessable")
        #expect(sink.calls == ["msg_1"])
        try await engine.stop()
    }

    @Test("a retired lane stops delivering; its deliveries stay in the spool", arguments: SpoolUnderTest.allCases)
    func retiredLaneStops(kind: SpoolUnderTest) async throws {
        let a = ScriptedSink()
        let b = ScriptedSink()
        let engine = Engine(spool: try kind.make(), sinks: ["a": a, "b": b], policy: Self.oneAtATime)
        try await engine.append("msg_1", sinks: ["a", "b"])
        try await eventually("first event delivered to both") { a.calls.count == 1 && b.calls.count == 1 }
        let retired = await engine.dispatcher.retire(["a"])
        #expect(retired.map(\.name) == ["a"])
        #expect(engine.dispatcher.sinkNames == ["b"])
        try await engine.append("msg_2", sinks: ["a", "b"])
        try await eventually("b still delivers") { b.calls.count == 2 }
        engine.advance(by: 60)
        try await Task.sleep(for: .milliseconds(200))
        #expect(a.calls == ["msg_1"])
        #expect(try await engine.delivery("msg_2")?.state == .pending)
        try await engine.stop()
    }

    @Test(
        "a delivery whose outcome could not be recorded is attempted again after its lease, without a restart",
        arguments: SpoolUnderTest.allCases)
    func unrecordedOutcomeComesBackAfterTheLease(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink()
        let spool = FirstCompletionFails(try kind.make())
        let engine = Engine(spool: spool, sinks: ["a": sink], policy: Self.oneAtATime, lease: .seconds(30))
        try await engine.append("msg_1")
        try await eventually("first attempt made") { sink.calls.count == 1 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await engine.delivery("msg_1")?.state == .inFlight, "the unrecorded attempt left it in flight")
        engine.advance(by: 29)
        try await Task.sleep(for: .milliseconds(200))
        #expect(sink.calls.count == 1, "claimed again before its lease ran out")
        engine.advance(by: 1)
        try await eventually("delivered again after the lease") { try await engine.delivery("msg_1")?.state == .delivered }
        #expect(sink.calls == ["msg_1", "msg_1"])
        let delivery = try #require(try await engine.delivery("msg_1"))
        #expect(delivery.attempts == 1, "the lost attempt is counted")
        try await engine.stop()
    }

    @Test("a batch that outlives its lease renews it, so no other worker takes it over", arguments: SpoolUnderTest.allCases)
    func longBatchRenewsItsLease(kind: SpoolUnderTest) async throws {
        let sink = ScriptedSink { _, call in
            if call == 1 { try? await Task.sleep(for: .seconds(25)) }
            return .delivered
        }
        let policy = DeliveryPolicy(batchSize: 1, maxInFlight: 2, retry: .default)
        let spool = try kind.make()
        // The system clock: the lease must run out in real time unless renewed (every 3.3 s of its 10 s).
        let dispatcher = Dispatcher(
            spool: spool, sinks: SinkSet(sinks: [("a", sink)]), policies: ["a": policy], logger: Logger(label: "test"),
            lease: LeaseTerms(owner: "test", duration: .seconds(10)))
        let task = Task { try await dispatcher.run() }
        let body = #"{"eventType":"contact.created","id":"e1","isEncrypted":false,"payload":{},"tenant":"se"}"#
        _ = try await spool.append(
            SpoolRecord(
                messageId: "msg_1", eventId: "e1", type: "contact.created", tenant: "se", receivedAt: Date(),
                body: Array(body.utf8), sinks: ["a"], state: .routed))
        dispatcher.notify(sink: "a")
        try await eventually("delivered", timeout: .seconds(120)) {
            try await spool.event("msg_1")?.deliveries.first?.state == .delivered
        }
        #expect(sink.calls == ["msg_1"], "the batch was taken over while it ran")
        task.cancel()
        _ = await task.result
        try await spool.close()
    }
}

@Suite("SpoolConformance")
struct SpoolConformanceTests {
    @Test("InMemorySpool and SQLiteSpool pass the spool contract", arguments: SpoolUnderTest.allCases)
    func conforms(kind: SpoolUnderTest) async throws {
        let problems = await SpoolConformance.check { try kind.make() }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
