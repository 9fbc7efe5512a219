import Foundation
import Logging
import RelayCore
@testable import RelayHTTPSink
import RelayTesting
import Testing

/// The http sink under the real dispatcher: what the engine makes of the peer's `Retry-After`.
@Suite struct HTTPRetryScheduleTests {
    @Test func aPeerAnswering503WithRetryAfter0IsRetriedAfterTheMinimumBackoffNotAtOnce() async throws {
        let peer = try HTTPPeer()
        defer { peer.stop() }
        let clock = ManualClock()
        let spool = InMemorySpool()
        let sink = try HTTPSink(
            configuration: SinkConfiguration(
                name: "hook", options: SinkOptions(["url": [.text(peer.url("/unavailable-now"))]])),
            context: SinkContext(logger: Logger(label: "test")), environment: [:])
        let policy = DeliveryPolicy(
            batchSize: 1, maxInFlight: 1,
            retry: RetryPolicy(
                maxAttempts: 3, minBackoff: .seconds(5), maxBackoff: .seconds(60), maxAge: .seconds(3600)))
        let dispatcher = Dispatcher(
            spool: spool, sinks: SinkSet(sinks: [("hook", sink)]), policies: ["hook": policy],
            logger: Logger(label: "test"),
            lease: LeaseTerms(owner: "test", duration: .seconds(30)), clock: clock.relay, jitter: { 1 })
        let engine = Task { try await dispatcher.run() }
        defer { engine.cancel() }

        let body = #"{"eventType":"contact.created","id":"e1","isEncrypted":false,"payload":{},"tenant":"se"}"#
        _ = try await spool.append(
            SpoolRecord(
                messageId: "msg_1", eventId: "e1", type: "contact.created", tenant: "se", receivedAt: clock.now,
                body: Array(body.utf8), sinks: ["hook"], state: .routed))
        dispatcher.notify(sink: "hook")

        for attempt in 1...2 {
            let delivery = try await waitForAttempt(attempt, in: spool)
            #expect(delivery.state == .pending)
            #expect(delivery.lastError?.hasPrefix("HTTP 503") == true)
            // The peer said "now"; the engine waits its minimum backoff. The clock has not moved, so nothing else
            // was due: the peer has seen exactly one request per recorded attempt.
            #expect(delivery.nextAttemptAt.timeIntervalSince(clock.now) == 5)
            #expect(try peer.requests().count == attempt)
            clock.advance(by: 5)
            dispatcher.notify(sink: "hook")
        }
        let dead = try await waitForAttempt(3, in: spool)
        #expect(dead.state == .failed)
        #expect(try peer.requests().count == 3)
    }

    /// Waits (a bound on waiting, not a timing assertion) until the delivery's `attempt`-th outcome is recorded.
    func waitForAttempt(_ attempt: Int, in spool: InMemorySpool) async throws -> StoredDelivery {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let delivery = try await spool.event("msg_1")?.deliveries.first, delivery.attempts >= attempt,
                delivery.state != .inFlight
            {
                return delivery
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw PeerError("attempt \(attempt) was not recorded within 60 s")
    }
}
