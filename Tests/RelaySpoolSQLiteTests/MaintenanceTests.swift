import Foundation
import GRDB
import RelayCore
import Testing

@testable import RelaySpoolSQLite

@Suite("Pruning, replaying and purging")
struct MaintenanceTests {
    let t0 = SpoolFixture.t0

    /// Appends `record`, then claims and completes its delivery to each sink with `kind`.
    func settle(_ spool: SQLiteSpool, _ record: SpoolRecord, _ kind: DeliveryResult.Kind) async throws {
        _ = try await spool.append(record)
        for sink in record.sinks {
            let claimed = try await spool.claim(sink: sink, limit: 100, now: record.receivedAt)
            #expect(claimed.map(\.messageId) == [record.messageId])
            for claimed in claimed {
                _ = try await spool.complete([
                    DeliveryResult(claimed, kind, error: "boom", at: record.receivedAt)
                ])
            }
        }
    }

    @Test("pruning deletes old events that are fully delivered or unrouted, and keeps everything else")
    func prune() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        try await settle(spool, SpoolFixture.record("delivered", at: t0), .delivered)
        try await settle(spool, SpoolFixture.record("dead", sinks: ["a"], at: t0), .failed)
        try await settle(spool, SpoolFixture.record("retrying", sinks: ["a"], at: t0), .retry(at: t0 + 5))
        _ = try await spool.append(SpoolFixture.record("pending", at: t0))
        _ = try await spool.append(SpoolFixture.record("unrouted", sinks: [], state: .unrouted, at: t0))
        _ = try await spool.append(
            SpoolFixture.record("undeliverable", sinks: [], state: .undeliverable, at: t0, reason: "bad body"))
        try await settle(spool, SpoolFixture.record("recent", sinks: ["c"], at: t0 + 100), .delivered)

        #expect(try await spool.prune(receivedBefore: t0 + 50) == 2)
        let kept = try await spool.events(EventQuery()).map(\.messageId)
        #expect(kept == ["msg_recent", "msg_undeliverable", "msg_pending", "msg_retrying", "msg_dead"])
        let delivered = try await spool.depth().filter { $0.state == .delivered }.map(\.sink)
        #expect(delivered == ["c"], "the pruned event's deliveries went with it")
        #expect(try await spool.prune(receivedBefore: t0 + 50) == 0)
        try await spool.close()
    }

    @Test("pruning a large backlog works in several short transactions and deletes it all")
    func pruneInChunks() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let count = SQLiteSpool.pruneChunk * 2 + 10
        try await spool.pool.write { db in
            try db.execute(
                sql: """
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                    INSERT INTO events (message_id, event_id, type, received_at, body, state)
                    SELECT 'msg_' || i, 'evt_' || i, 'contact.created', ?, x'7b7d', 'routed' FROM n;
                    INSERT INTO deliveries (event_key, sink, state, next_attempt_at, updated_at)
                    SELECT key, 'a', 'delivered', received_at, received_at FROM events;
                    """,
                arguments: [count, t0.timeIntervalSince1970])
        }
        _ = try await spool.append(SpoolFixture.record("kept", at: t0))

        #expect(try await spool.prune(receivedBefore: t0 + 1) == count)
        #expect(try await spool.events(EventQuery()).map(\.messageId) == ["msg_kept"])
        try await spool.close()
    }

    @Test("replay re-queues delivered deliveries and creates missing ones, making an unrouted event routed")
    func replayRequeuesAndCreates() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        try await settle(spool, SpoolFixture.record("done", sinks: ["a"]), .delivered)
        _ = try await spool.append(SpoolFixture.record("lost", sinks: [], state: .unrouted))
        let now = t0 + 500

        let queued = try await spool.replay(ReplaySelection(ids: ["evt_done", "msg_lost"]), now: now) { _ in ["a", "b"]
        }
        #expect(queued == 4)
        let done = try #require(try await spool.event("msg_done"))
        #expect(
            done.deliveries == [
                StoredDelivery(sink: "a", state: .pending, attempts: 0, nextAttemptAt: now, lastError: nil),
                StoredDelivery(sink: "b", state: .pending, attempts: 0, nextAttemptAt: now, lastError: nil),
            ])
        let lost = try #require(try await spool.event("msg_lost"))
        #expect(lost.state == .routed)
        #expect(lost.deliveries.map(\.sink) == ["a", "b"])
        #expect(try await spool.claim(sink: "b", limit: 10, now: now).map(\.messageId) == ["msg_done", "msg_lost"])
        try await spool.close()
    }

    @Test("replay gives the routing closure the stored event with its body")
    func replayPassesTheBody() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let record = SpoolFixture.record("1", sinks: [], state: .unrouted)
        _ = try await spool.append(record)

        let queued = try await spool.replay(ReplaySelection(), now: t0) { event in
            event.body == record.body && event.messageId == "msg_1" ? ["a"] : []
        }
        #expect(queued == 1)
        try await spool.close()
    }

    @Test("replay to one sink touches only that sink")
    func replayToOneSink() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        try await settle(spool, SpoolFixture.record("1", sinks: ["a", "b"]), .delivered)
        _ = try await spool.append(SpoolFixture.record("2", sinks: [], state: .unrouted))

        let queued = try await spool.replay(ReplaySelection(sink: "b"), now: t0 + 10) { _ in ["a", "b"] }
        #expect(queued == 2)
        #expect(try await spool.event("msg_1")?.deliveries.map(\.state) == [.delivered, .pending])
        #expect(try await spool.event("msg_2")?.deliveries.map(\.sink) == ["b"])

        let removedRoute = try await spool.replay(ReplaySelection(sink: "a"), now: t0 + 20) { _ in [] }
        #expect(removedRoute == 1, "a sink the event went to before can be named even when routes changed")
        #expect(try await spool.event("msg_1")?.deliveries.map(\.state) == [.pending, .pending])
        #expect(try await spool.event("msg_2")?.deliveries.map(\.sink) == ["b"])
        try await spool.close()
    }

    @Test("retrying dead letters resets only the failed deliveries")
    func replayFailedOnly() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("1", sinks: ["a", "b"]))
        let claimedA = try await spool.claim(sink: "a", limit: 1, now: t0)
        let claimedB = try await spool.claim(sink: "b", limit: 1, now: t0)
        _ = try await spool.complete([
            DeliveryResult(claimedA[0], .delivered, at: t0),
            DeliveryResult(claimedB[0], .failed, error: "HTTP 400", at: t0),
        ])
        _ = try await spool.append(SpoolFixture.record("2", sinks: ["a"]))

        let queued = try await spool.replay(ReplaySelection(deliveryState: .failed), now: t0 + 1) { _ in ["a", "b"] }
        #expect(queued == 1)
        let deliveries = try #require(try await spool.event("msg_1")?.deliveries)
        #expect(deliveries.map(\.state) == [.delivered, .pending])
        #expect(deliveries[1].attempts == 0)
        #expect(deliveries[1].lastError == nil)
        try await spool.close()
    }

    @Test("purging deletes dead letters matching the selection and returns how many")
    func purge() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        try await settle(spool, SpoolFixture.record("1", sinks: ["a", "b"], at: t0), .failed)
        try await settle(spool, SpoolFixture.record("2", sinks: ["a"], at: t0 + 10), .failed)
        try await settle(spool, SpoolFixture.record("3", sinks: ["a"], at: t0 + 20), .delivered)

        #expect(try await spool.purge(ReplaySelection(sink: "b")) == 1)
        #expect(try await spool.purge(ReplaySelection(since: t0 + 5)) == 1)
        #expect(try await spool.event("msg_2")?.deliveries.isEmpty == true)
        #expect(try await spool.purge(ReplaySelection(ids: ["msg_1", "evt_3"])) == 1)
        #expect(
            try await spool.depth() == [DepthRow(sink: "a", state: .delivered, count: 1, oldestReceivedAt: t0 + 20)])
        #expect(try await spool.prune(receivedBefore: t0 + 100) == 3, "purged events can then be pruned")
        try await spool.close()
    }
}
