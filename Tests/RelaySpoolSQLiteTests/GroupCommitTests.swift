import Foundation
import GRDB
import RelayCore
import Testing

@testable import RelaySpoolSQLite

@Suite("Group commit")
struct GroupCommitTests {
    @Test("20 concurrent appends of one message id store one event, one delivery per sink, and 19 duplicates")
    func concurrentDuplicates() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()

        let results = await spool.appendConcurrently(Array(repeating: SpoolFixture.record("1"), count: 20))
        let outcomes = try results.map { try $0.get() }
        #expect(outcomes.filter { $0 == .stored }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 19)
        let events = try await spool.events(EventQuery())
        #expect(events.count == 1)
        #expect(events.first?.deliveries.map(\.sink) == ["a", "b"])
        #expect(try await spool.depth().map(\.count) == [1, 1])
        try await spool.close()
    }

    @Test("200 concurrent appends all commit, in fewer transactions than appends")
    func concurrentAppendsShareTransactions() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()

        let results = await spool.appendConcurrently((0..<200).map { SpoolFixture.record("\($0)") })
        #expect(try results.allSatisfy { try $0.get() == .stored })
        #expect(try await spool.events(EventQuery(limit: 1_000)).count == 200)
        let statistics = spool.statistics
        #expect(statistics.appends == 200)
        #expect(statistics.commits < 200)
        try await spool.close()
    }

    @Test("appends waiting behind a transaction are written by the next one, at most 1,000 per transaction")
    func waitingAppendsAreBatched() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let lock = try fixture.lockWriter()

        async let first = spool.appendConcurrently([SpoolFixture.record("first")])
        // The first append's transaction now waits for the lock; everything after it queues.
        try await eventually { spool.isCommitting }
        async let rest = spool.appendConcurrently((0..<1_200).map { SpoolFixture.record("\($0)") })
        try await eventually { spool.waitingAppends == 1_200 }
        try lock.release()

        #expect(try await first.allSatisfy { try $0.get() == .stored })
        #expect(try await rest.allSatisfy { try $0.get() == .stored })
        let statistics = spool.statistics
        #expect(statistics.appends == 1_201)
        #expect(statistics.commits == 3, "one for the first append, then batches of 1,000 and 200")
        try await spool.close()
    }

    @Test("per-request mode commits once per append")
    func perRequestCommitsEachAppend() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open(.perRequest)

        let results = await spool.appendConcurrently((0..<50).map { SpoolFixture.record("\($0)") })
        #expect(try results.allSatisfy { try $0.get() == .stored })
        #expect(spool.statistics.commits == 50)
        #expect(try await spool.events(EventQuery()).count == 50)
        try await spool.close()
    }

    @Test("an append beyond the waiting limit fails at once with `full`")
    func fullQueueRejects() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open(maxQueuedAppends: 5)
        let lock = try fixture.lockWriter()

        async let first = spool.appendConcurrently([SpoolFixture.record("first")])
        try await eventually { spool.isCommitting }
        async let waiting = spool.appendConcurrently((0..<5).map { SpoolFixture.record("\($0)") })
        try await eventually { spool.waitingAppends == 5 }

        let full = await #expect(throws: SpoolError.self) { try await spool.append(SpoolFixture.record("over")) }
        #expect(full?.code == .full)
        try lock.release()
        #expect(try await first.allSatisfy { try $0.get() == .stored })
        #expect(try await waiting.allSatisfy { try $0.get() == .stored })
        #expect(try await spool.event("msg_over") == nil)
        try await spool.close()
    }

    @Test("a transaction that cannot commit fails every append in it, and the spool recovers afterwards")
    func failedTransactionFailsItsBatch() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open(busyTimeout: 0.3)
        let lock = try fixture.lockWriter()

        let results = await spool.appendConcurrently((0..<10).map { SpoolFixture.record("\($0)") })
        #expect(results.allSatisfy { $0.errorCode == .storageFailed })
        if case .failure(let error) = results[0] {
            #expect(error.message.contains(fixture.path))
            #expect(error.message.contains("locked"))
            #expect(!error.message.contains("evt_0"), "no event content in errors")
        }
        #expect(spool.statistics.failures == 10)
        try lock.release()

        #expect(try await spool.append(SpoolFixture.record("after")) == .stored)
        #expect(try await spool.events(EventQuery()).map(\.messageId) == ["msg_after"])
        try await spool.close()
    }

    @Test("a full disk fails the append with `full`, and appends work again once there is room")
    func fullDisk() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("before"))
        // Capping the file at its current size makes SQLite report SQLITE_FULL, as a full disk does.
        try await spool.pool.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        var big = SpoolFixture.record("big")
        big.body = Array(repeating: 0x20, count: 1_000_000)

        let error = await #expect(throws: SpoolError.self) { try await spool.append(big) }
        // A full disk or `max-size` is `full`: ingest answers 503 and readiness reports `spool_full`.
        #expect(error?.code == .full)
        #expect(error?.message.contains("full") == true)
        try await spool.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1000000000") }
        #expect(try await spool.append(big) == .stored)
        #expect(try await spool.events(EventQuery()).map(\.messageId) == ["msg_big", "msg_before"])
        try await spool.close()
    }

    @Test("a caller that is cancelled while waiting still gets its append committed")
    func cancellationDoesNotAbandonABatch() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let lock = try fixture.lockWriter()

        let appends = Task { await spool.appendConcurrently((0..<5).map { SpoolFixture.record("\($0)") }) }
        try await eventually { spool.isCommitting && spool.waitingAppends == 4 }
        appends.cancel()
        try await Task.sleep(for: .milliseconds(20))
        try lock.release()

        #expect(try await appends.value.allSatisfy { try $0.get() == .stored })
        #expect(try await spool.events(EventQuery()).count == 5)
        try await spool.close()
    }

    @Test("closing fails waiting appends with `closed`, finishes the transaction under way, and refuses later calls")
    func closeFailsWaitingAppends() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let lock = try fixture.lockWriter()

        async let first = spool.appendConcurrently([SpoolFixture.record("first")])
        try await eventually { spool.isCommitting }
        async let waiting = spool.appendConcurrently((0..<3).map { SpoolFixture.record("\($0)") })
        try await eventually { spool.waitingAppends == 3 }
        async let closing: Void = spool.close()

        #expect(await waiting.allSatisfy { $0.errorCode == .closed })
        try lock.release()
        try await closing
        #expect(try await first.allSatisfy { try $0.get() == .stored })

        let late = await #expect(throws: SpoolError.self) { try await spool.append(SpoolFixture.record("late")) }
        #expect(late?.code == .closed)
        let listing = await #expect(throws: SpoolError.self) { try await spool.events(EventQuery()) }
        #expect(listing?.code == .closed)
        try await spool.close()

        let reopened = try fixture.open()
        #expect(try await reopened.events(EventQuery()).map(\.messageId) == ["msg_first"])
        try await reopened.close()
    }
}
