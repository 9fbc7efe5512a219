import Foundation
import Logging
@testable import RelayCore
import RelayTesting
import Testing

/// A test's own failure, thrown where a `#require` does not fit.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// When the dispatcher schedules the next attempt after a `.retry`, straight from `result(for:of:policy:at:)`.
@Suite struct RetryScheduleTests {
    static let received = Date(timeIntervalSince1970: 1_700_000_000)
    let policy = DeliveryPolicy(
        batchSize: 1, maxInFlight: 1,
        retry: RetryPolicy(maxAttempts: 10, minBackoff: .seconds(5), maxBackoff: .seconds(300), maxAge: .seconds(3600)))
    let dispatcher = Dispatcher(
        spool: InMemorySpool(), sinks: SinkSet(sinks: []), policies: [:], logger: Logger(label: "test"), jitter: { 1 })

    func delivery(attempts: Int = 0) -> ClaimedDelivery {
        ClaimedDelivery(
            eventKey: 1, sink: "a", attempts: attempts, messageId: "msg_1", receivedAt: Self.received, body: [],
            lease: DeliveryLease(token: "t", owner: "test", expiresAt: .distantFuture))
    }

    /// The delay before the next attempt, or `nil` for a dead letter, for a hint given `elapsed` seconds after receipt.
    func delay(hint: Duration?, elapsed: TimeInterval = 10, attempts: Int = 0) -> TimeInterval? {
        let now = Self.received.addingTimeInterval(elapsed)
        let result = dispatcher.result(
            for: .retry(reason: "busy", after: hint), of: delivery(attempts: attempts), policy: policy, at: now)
        guard case .retry(let next) = result.kind else { return nil }
        return next.timeIntervalSince(now)
    }

    @Test(arguments: [
        (Duration.zero, 5.0), (.seconds(-30), 5), (.milliseconds(10), 5), (.seconds(42), 42), (.seconds(300), 300),
        (.seconds(301), 300), (.seconds(86_400 * 1000), 300),
    ])
    func aHintIsHeldToTheBackoffRange(hint: Duration, expected: TimeInterval) {
        #expect(delay(hint: hint) == expected)
    }

    @Test func withoutAHintTheJitteredBackoffApplies() {
        #expect(delay(hint: nil, attempts: 0) == 5)
        #expect(delay(hint: nil, attempts: 3) == 40)
    }

    @Test func aRetryThatWouldFallAfterMaxAgeIsMovedToMaxAge() {
        // 3500 s after receipt, 100 s are left: the 300 s the hint asks for become 100.
        #expect(delay(hint: .seconds(300), elapsed: 3500) == 100)
        #expect(delay(hint: nil, elapsed: 3500, attempts: 8) == 100)
    }

    @Test func lessThanTheMinimumBackoffBeforeMaxAgeIsADeadLetterNow() {
        #expect(delay(hint: .zero, elapsed: 3596) == nil)
        let result = dispatcher.result(
            for: .retry(reason: "busy"), of: delivery(), policy: policy, at: Self.received.addingTimeInterval(3600))
        #expect(result.kind == .failed && result.error == "gave up after max-age: busy")
    }

    @Test func theLastAttemptIsADeadLetterWhateverTheHint() {
        let result = dispatcher.result(
            for: .retry(reason: "busy", after: .zero), of: delivery(attempts: 9), policy: policy,
            at: Self.received.addingTimeInterval(10))
        #expect(result.kind == .failed && result.error == "gave up after 10 attempts: busy")
    }
}
