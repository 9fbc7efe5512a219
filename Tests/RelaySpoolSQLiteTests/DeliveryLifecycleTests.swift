import Foundation
import RelayCore
import Testing

@testable import RelaySpoolSQLite

@Suite("Appending, claiming and completing deliveries")
struct DeliveryLifecycleTests {
    let t0 = SpoolFixture.t0

    @Test("an appended event is claimed with its body, then recorded as delivered")
    func roundTrip() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let record = SpoolFixture.record("1")

        #expect(try await spool.append(record) == .stored)
        let claimed = try await spool.claim(sink: "a", limit: 10, now: t0)
        #expect(claimed.count == 1)
        let delivery = try #require(claimed.first)
        #expect(delivery.sink == "a")
        #expect(delivery.messageId == "msg_1")
        #expect(delivery.body == record.body)
        #expect(delivery.attempts == 0)
        #expect(delivery.receivedAt == t0)
        #expect(
            try await spool.claim(sink: "a", limit: 10, now: t0).isEmpty, "an in-flight delivery is not claimed again")

        _ = try await spool.complete([DeliveryResult(delivery, .delivered, at: t0 + 1)])
        let stored = try #require(try await spool.event("msg_1"))
        #expect(stored.deliveries.map(\.sink) == ["a", "b"])
        #expect(stored.deliveries.map(\.state) == [.delivered, .pending])
        #expect(stored.deliveries[0].nextAttemptAt == t0 + 1)
        #expect(stored.deliveries[0].attempts == 0)
        try await spool.close()
    }

    @Test("a backlog not yet due ahead of due deliveries: claims still find the due ones, oldest receipt first")
    func claimsLookPastABacklogThatIsNotDue() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        // 1,000 events whose deliveries wait out a backoff, longer than the head a claim reads in receipt order...
        for n in 1...1_000 { _ = try await spool.append(SpoolFixture.record("w\(n)", sinks: ["a"], at: t0)) }
        let waiting = try await spool.claim(sink: "a", limit: 1_000, now: t0)
        #expect(waiting.count == 1_000)
        _ = try await spool.complete(waiting.map { DeliveryResult($0, .retry(at: t0 + 3_600), error: "busy", at: t0) })
        // ...then three new ones, due at once.
        for n in 1...3 { _ = try await spool.append(SpoolFixture.record("d\(n)", sinks: ["a"], at: t0 + 1)) }
        #expect(try await spool.claim(sink: "a", limit: 2, now: t0 + 2).map(\.messageId) == ["msg_d1", "msg_d2"])
        #expect(try await spool.claim(sink: "a", limit: 2, now: t0 + 2).map(\.messageId) == ["msg_d3"])
        #expect(try await spool.claim(sink: "a", limit: 2, now: t0 + 2).isEmpty)
        // Once the backlog is due, it comes in receipt order again.
        let due = try await spool.claim(sink: "a", limit: 3, now: t0 + 3_600)
        #expect(due.map(\.messageId) == ["msg_w1", "msg_w2", "msg_w3"])
        try await spool.close()
    }

    @Test("claims come in receipt order, at most `limit`, and only when due")
    func claimOrderLimitAndDueTime() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        for n in 1...5 { _ = try await spool.append(SpoolFixture.record("\(n)", sinks: ["a"], at: t0 + Double(n))) }
        let now = t0 + 10

        let first = try await spool.claim(sink: "a", limit: 2, now: now)
        #expect(first.map(\.messageId) == ["msg_1", "msg_2"])
        _ = try await spool.complete([
            DeliveryResult(first[0], .retry(at: now + 60), error: "timeout", at: now),
            DeliveryResult(first[1], .delivered, at: now),
        ])
        #expect(try await spool.claim(sink: "a", limit: 10, now: now).map(\.messageId) == ["msg_3", "msg_4", "msg_5"])
        #expect(try await spool.nextDue(sink: "a") == now + 60)
        #expect(try await spool.claim(sink: "a", limit: 10, now: now + 59).isEmpty)

        let retried = try await spool.claim(sink: "a", limit: 10, now: now + 60)
        #expect(retried.map(\.messageId) == ["msg_1"])
        #expect(retried.first?.attempts == 1)
        // Everything is in flight: what falls due next is the earliest lease expiry (the test claims for 5 minutes).
        #expect(try await spool.nextDue(sink: "a") == now + 300)
        #expect(try await spool.claim(sink: "a", limit: 0, now: now + 60).isEmpty)
        try await spool.close()
    }

    @Test("claims of one sink leave the deliveries of other sinks alone")
    func claimIsPerSink() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("1", sinks: ["a", "b"]))
        _ = try await spool.append(SpoolFixture.record("2", sinks: ["b"]))

        #expect(try await spool.claim(sink: "a", limit: 10, now: t0).map(\.messageId) == ["msg_1"])
        #expect(try await spool.claim(sink: "b", limit: 10, now: t0).map(\.messageId) == ["msg_1", "msg_2"])
        #expect(try await spool.claim(sink: "c", limit: 10, now: t0).isEmpty)
        try await spool.close()
    }

    @Test("retries and dead letters record attempts, the error and the time")
    func retriesAndFailuresAreRecorded() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("1", sinks: ["a"]))
        for attempt in 1...3 {
            let claimed = try await spool.claim(sink: "a", limit: 1, now: t0 + Double(attempt * 100))
            #expect(claimed.first?.attempts == attempt - 1)
            let held = try #require(claimed.first)
            let next = t0 + Double(attempt * 100 + 50)
            _ = try await spool.complete([DeliveryResult(held, .retry(at: next), error: "HTTP 503 (\(attempt))", at: next - 50)])
            let delivery = try #require(try await spool.event("evt_1")?.deliveries.first)
            #expect(delivery.state == .pending)
            #expect(delivery.attempts == attempt)
            #expect(delivery.lastError == "HTTP 503 (\(attempt))")
            #expect(delivery.nextAttemptAt == next)
        }
        let last = try #require(try await spool.claim(sink: "a", limit: 1, now: t0 + 1_000).first)
        _ = try await spool.complete([DeliveryResult(last, .failed, error: "HTTP 400", at: t0 + 1_001)])
        let dead = try #require(try await spool.event("evt_1")?.deliveries.first)
        #expect(
            dead
                == StoredDelivery(
                    sink: "a", state: .failed, attempts: 4, nextAttemptAt: t0 + 1_001, lastError: "HTTP 400"))
        #expect(try await spool.claim(sink: "a", limit: 1, now: t0 + 10_000).isEmpty)
        #expect(try await spool.nextDue(sink: "a") == nil)
        try await spool.close()
    }

    @Test("deliveries a stopped process left in flight are claimable after their lease, with no start-up reset")
    func inFlightComesBackThroughTheLease() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        for n in 1...3 { _ = try await spool.append(SpoolFixture.record("\(n)", sinks: ["a"])) }
        let terms = LeaseTerms(owner: "stopped", duration: .seconds(30))
        #expect(try await spool.claim(sink: "a", limit: 2, lease: terms, now: t0).count == 2)
        try await spool.close()

        let reopened = try fixture.open()
        #expect(try await reopened.claim(sink: "a", limit: 10, lease: terms, now: t0 + 29).map(\.messageId) == ["msg_3"])
        let again = try await reopened.claim(sink: "a", limit: 10, lease: terms, now: t0 + 30)
        #expect(again.map(\.messageId) == ["msg_1", "msg_2"])
        #expect(again.map(\.attempts) == [1, 1])
        try await reopened.close()
    }

    @Test("appending a message id already held is a duplicate that adds nothing")
    func sequentialDuplicate() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()

        #expect(try await spool.append(SpoolFixture.record("1", sinks: ["a"])) == .stored)
        #expect(try await spool.append(SpoolFixture.record("1", sinks: ["a", "b"])) == .duplicate)
        let events = try await spool.events(EventQuery())
        #expect(events.count == 1)
        #expect(events.first?.deliveries.map(\.sink) == ["a"])
        #expect(spool.statistics.duplicates == 1)
        try await spool.close()
    }

    @Test("an event with no sinks is stored with its state and reason, and nothing to claim")
    func undeliverableEventIsKept() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let record = SpoolFixture.record("1", sinks: [], state: .undeliverable, type: "", reason: "cannot decrypt")

        #expect(try await spool.append(record) == .stored)
        let stored = try #require(try await spool.event("msg_1"))
        #expect(stored.state == .undeliverable)
        #expect(stored.reason == "cannot decrypt")
        #expect(stored.deliveries.isEmpty)
        #expect(stored.body == record.body)
        try await spool.close()
    }
}
