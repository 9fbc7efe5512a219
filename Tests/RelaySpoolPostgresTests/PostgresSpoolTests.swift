import Foundation
import Logging
import RelayCore
import RelaySpoolPostgres
import RelayTesting
import Synchronization
import Testing

/// A spool on a fresh database of the test cluster.
func freshSpool(connections: Int = 4, timeout: Duration = .seconds(10)) async throws -> (PostgresSpool, String) {
    let url = try await TestPostgres.shared.freshDatabase()
    return (try await openSpool(url, connections: connections, timeout: timeout), url)
}

func openSpool(_ url: String, connections: Int = 4, timeout: Duration = .seconds(10)) async throws -> PostgresSpool {
    try await PostgresSpool.open(
        PostgresSpool.Settings(url: try PostgresURL(url), connections: connections, operationTimeout: timeout),
        logger: Logger(label: "test"))
}

func record(_ n: Int, sinks: [String] = ["a"], at time: Date = Date(timeIntervalSince1970: 1_700_000_000)) -> SpoolRecord {
    SpoolRecord(
        messageId: "msg_\(n)", eventId: "evt_\(n)", type: "contact.created", tenant: nil, receivedAt: time,
        body: Array(#"{"id":"evt_\#(n)"}"#.utf8), sinks: sinks, state: .routed)
}

@Suite("PostgresSpool, against a real PostgreSQL server")
struct PostgresSpoolTests {
    @Test func passesTheSpoolContract() async throws {
        let problems = await SpoolConformance.check { try await freshSpool().0 }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func copiesOfOneMessageAtSeveralReceiversStoreOneEvent() async throws {
        let (first, url) = try await freshSpool()
        let second = try await openSpool(url)
        let third = try await openSpool(url)
        let spools = [first, second, third]
        let outcomes = await withTaskGroup(of: SpoolAppendResult?.self) { group in
            for copy in 0..<30 {
                group.addTask { try? await spools[copy % 3].append(record(1, sinks: ["a", "b"])) }
            }
            var outcomes: [SpoolAppendResult?] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.count { $0 == .stored } == 1)
        #expect(outcomes.count { $0 == .duplicate } == 29)
        #expect(try await TestPostgres.shared.psql(url, "SELECT count(*) FROM relay_deliveries") == "2")
        for spool in spools { try await spool.close() }
    }

    @Test func concurrentClaimsFromSeveralReceiversNeverShareADelivery() async throws {
        let (first, url) = try await freshSpool()
        let spools = [first, try await openSpool(url), try await openSpool(url)]
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        for chunk in stride(from: 0, to: 3000, by: 500) {
            await withTaskGroup(of: Void.self) { group in
                for n in chunk..<(chunk + 500) { group.addTask { _ = try? await first.append(record(n, at: t0)) } }
            }
        }
        let claimed = await withTaskGroup(of: [Int64].self) { group in
            for (index, spool) in spools.enumerated() {
                for worker in 0..<3 {
                    group.addTask {
                        var keys: [Int64] = []
                        let terms = LeaseTerms(owner: "r\(index)w\(worker)", duration: .seconds(60))
                        while let batch = try? await spool.claim(sink: "a", limit: 50, lease: terms, now: t0 + 1),
                            !batch.isEmpty
                        {
                            keys += batch.map(\.eventKey)
                            _ = try? await spool.complete(batch.map { DeliveryResult($0, .delivered, at: t0 + 2) })
                        }
                        return keys
                    }
                }
            }
            var all: [[Int64]] = []
            for await keys in group { all.append(keys) }
            return all
        }
        let keys = claimed.flatMap { $0 }
        #expect(keys.count == 3000, "every delivery is claimed once: \(keys.count) claims")
        #expect(Set(keys).count == 3000, "\(keys.count - Set(keys).count) deliveries were claimed twice")
        #expect(claimed.filter { !$0.isEmpty }.count > 1, "the claims were not spread over several workers")
        #expect(
            try await TestPostgres.shared.psql(url, "SELECT count(*) FROM relay_deliveries WHERE state = 'delivered'")
                == "3000")
        for spool in spools { try await spool.close() }
    }

    @Test func receiversStartingTogetherMigrateOnce() async throws {
        let url = try await TestPostgres.shared.freshDatabase()
        let spools = try await withThrowingTaskGroup(of: PostgresSpool.self) { group in
            for _ in 0..<4 { group.addTask { try await openSpool(url) } }
            var spools: [PostgresSpool] = []
            for try await spool in group { spools.append(spool) }
            return spools
        }
        #expect(spools.count == 4)
        #expect(try await TestPostgres.shared.psql(url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM relay_schema_migrations") == "1,2")
        for spool in spools { try await spool.close() }
    }

    @Test func aSchemaFromANewerVersionIsRefused() async throws {
        let (spool, url) = try await freshSpool()
        try await spool.close()
        _ = try await TestPostgres.shared.psql(url, "INSERT INTO relay_schema_migrations (version, name) VALUES (99, 'future')")
        do {
            _ = try await openSpool(url)
            Issue.record("a database migrated by a newer version was opened")
        } catch let error as SpoolError {
            #expect(error.code == .cannotOpen)
            #expect(error.message.contains("newer version"), "\(error.message)")
        }
    }

    @Test func anUnreachableServerIsACleanOpenError() async throws {
        let port = try LoopbackPort.free()
        let started = ContinuousClock.now
        do {
            _ = try await openSpool("postgres://relay:hunter2@127.0.0.1:\(port)/nothing", timeout: .seconds(3))
            Issue.record("a spool opened without a server")
        } catch let error as SpoolError {
            #expect(error.code == .cannotOpen)
            #expect(!error.message.contains("hunter2"), "the password is in the error: \(error.message)")
            #expect(error.message.contains("127.0.0.1:\(port)/nothing"), "\(error.message)")
        }
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func anotherReceiversAppendWakesThisOne() async throws {
        let (writer, url) = try await freshSpool()
        let reader = try await openSpool(url)
        let stream = try #require(reader.dueNotifications())
        let woken = Task {
            for await sink in stream where sink == "orders" { return true }
            return false
        }
        // The listener connects in the background; keep appending until the wake-up arrives.
        let deadline = ContinuousClock.now + .seconds(30)
        var n = 0
        while ContinuousClock.now < deadline {
            n += 1
            _ = try await writer.append(record(n, sinks: ["orders"]))
            if await within(.milliseconds(300), { await woken.value }) == true { break }
        }
        #expect(await woken.value, "no NOTIFY reached the other receiver")
        try await reader.close()
        try await writer.close()
    }

    @Test func claimsLookPastABacklogThatIsNotDue() async throws {
        let (spool, url) = try await freshSpool()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        // 5,000 retries waiting out their backoff, received before one new event that is due now.
        _ = try await TestPostgres.shared.psql(
            url,
            """
            INSERT INTO relay_events (message_id, event_id, type, received_at, state)
                SELECT 'old_' || n, 'old_' || n, 'contact.created', 1700000000, 'routed' FROM generate_series(1, 5000) n;
            INSERT INTO relay_event_bodies (event_key, body) SELECT key, '{}'::bytea FROM relay_events;
            INSERT INTO relay_deliveries (event_key, sink, state, attempts, next_attempt_at, updated_at)
                SELECT key, 'a', 'pending', 3, 1700090000, 1700000000 FROM relay_events;
            """)
        _ = try await spool.append(record(1, at: t0 + 10))
        let claimed = try await spool.claim(
            sink: "a", limit: 10, lease: LeaseTerms(owner: "t", duration: .seconds(30)), now: t0 + 20)
        #expect(claimed.map(\.messageId) == ["msg_1"])
        let plan = try await TestPostgres.shared.psql(
            url,
            """
            EXPLAIN SELECT event_key FROM relay_deliveries
            WHERE sink = 'a' AND state = 'pending' AND next_attempt_at <= 1700000020 ORDER BY next_attempt_at LIMIT 10
            """)
        #expect(plan.contains("relay_deliveries_pending_due"), "the due-time claim does not use its index:\n\(plan)")
        try await spool.close()
    }

    @Test func theGaugesDeliveredCountStaysExactWithoutCountingTheTable() async throws {
        let (spool, url) = try await freshSpool()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        for n in 1...40 { _ = try await spool.append(record(n, sinks: ["a", "b"], at: t0 + Double(n))) }
        let terms = LeaseTerms(owner: "t", duration: .seconds(30))
        for sink in ["a", "b"] {
            let claimed = try await spool.claim(sink: sink, limit: 30, lease: terms, now: t0 + 100)
            _ = try await spool.complete(claimed.map { DeliveryResult($0, .delivered, at: t0 + 101) })
        }
        _ = try await spool.replay(ReplaySelection(ids: ["msg_1", "msg_2"], sink: "a"), now: t0 + 102) { _ in ["a"] }
        // Events 3…30 are delivered to both sinks; pruning those received before t0 + 11 removes 3…10.
        #expect(try await spool.prune(receivedBefore: t0 + 11) == 8)
        let exported = try await spool.exportEvents(after: 0, limit: 100)
        let copies = exported.map { event -> StoredEvent in
            var copy = event
            copy.messageId = "copy_" + event.messageId
            return copy
        }
        #expect(try await spool.importEvents(copies, now: t0 + 103) == 32)
        let depth = try await spool.depth()
        let counted = try await TestPostgres.shared.psql(
            url, "SELECT string_agg(sink || ' ' || state || ' ' || n, ',' ORDER BY sink, state) FROM (SELECT sink, state, count(*) AS n FROM relay_deliveries GROUP BY sink, state) x")
        #expect(
            depth.map { "\($0.sink) \($0.state.rawValue) \($0.count)" }.joined(separator: ",") == counted,
            "the gauges' counts differ from the table's")
        #expect(depth.first { $0.sink == "a" && $0.state == .delivered }?.count == 2 * 20)
        try await spool.close()
    }

    @Test func sslmodeIsEnforcedAsWritten() async throws {
        let secure = TestPostgres(folder: "/tmp/engage-relay-pg-tls", port: 55434, tls: true)
        let url = try await secure.freshDatabase(prefix: "tls")
        let spool = try await openSpool(url + "?sslmode=require")
        _ = try await spool.append(record(1))
        let encrypted = try await secure.psql(
            secure.url(),
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'engage-relay' AND s.ssl")
        #expect(Int(encrypted) ?? 0 > 0, "no connection of the spool uses TLS")
        try await spool.close()
        // The certificate is self-signed: verify-full must refuse it, not fall back.
        await #expect(throws: SpoolError.self) { _ = try await openSpool(url + "?sslmode=verify-full", timeout: .seconds(5)) }
        // A server without TLS: require must refuse it, not fall back to plain TCP.
        let plain = try await TestPostgres.shared.freshDatabase()
        await #expect(throws: SpoolError.self) { _ = try await openSpool(plain + "?sslmode=require", timeout: .seconds(5)) }
    }

    @Test func anInOrderSinkIsDeliveredInReceiptOrderAcrossReceivers() async throws {
        let (first, url) = try await freshSpool()
        let spools = [first, try await openSpool(url), try await openSpool(url)]
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        for n in 1...300 { _ = try await first.append(record(n, at: t0 + Double(n) / 1000)) }
        // Every receiver's worker claims the lane's head as fast as it can; the claims taken, in the order they were
        // taken, must be the receipt order, and never two batches in flight at once.
        let log = LaneLog()
        await withTaskGroup(of: Void.self) { group in
            for (index, spool) in spools.enumerated() {
                group.addTask {
                    let terms = LeaseTerms(owner: "r\(index)", duration: .seconds(60), inOrder: true)
                    var idle = 0
                    while idle < 50 {
                        guard let batch = try? await spool.claim(sink: "a", limit: 7, lease: terms, now: t0 + 10),
                            !batch.isEmpty
                        else {
                            idle += 1
                            try? await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        idle = 0
                        log.holders.withLock { count in
                            count += 1
                            if count > 1 { log.overlapped.withLock { $0 = true } }
                        }
                        log.order.withLock { $0 += batch.map(\.eventKey) }
                        // Held a moment, as a sink call would be: a claim by another receiver meanwhile is an overlap.
                        try? await Task.sleep(for: .milliseconds(3))
                        log.holders.withLock { $0 -= 1 }
                        _ = try? await spool.complete(batch.map { DeliveryResult($0, .delivered, at: t0 + 11) })
                    }
                }
            }
        }
        let keys = log.order.withLock { $0 }
        #expect(keys.count == 300, "\(keys.count) deliveries claimed")
        #expect(keys == keys.sorted() && Set(keys).count == keys.count, "claims left receipt order")
        #expect(!log.overlapped.withLock { $0 }, "two receivers held the lane at once")
        for spool in spools { try await spool.close() }
    }
}

/// What the in-order test's workers saw, shared between their tasks.
final class LaneLog: Sendable {
    let order = Mutex<[Int64]>([])
    let holders = Mutex(0)
    let overlapped = Mutex(false)
}
