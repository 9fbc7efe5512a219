import Foundation
import GRDB
import RelayCore

extension SQLiteSpool {
    /// Holds up to `limit` due deliveries of `sink` under one new lease, oldest receipt first: pending ones due by
    /// `now`, and in-flight ones whose lease ran out (their lost attempt is counted, with a note). An in-order claim
    /// takes nothing while a delivery of the sink is held under a live lease.
    public func claim(sink: String, limit: Int, lease terms: LeaseTerms, now: Date) async throws(SpoolError)
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let lease = DeliveryLease.new(terms, now: now)
        return try await writeRelaxed { db in
            let moment = now.timeIntervalSince1970
            if terms.inOrder, try Self.isHeld(db, sink: sink, moment: moment) { return [] }
            let keys = try Self.dueKeys(db, sink: sink, limit: limit, moment: moment)
            guard !keys.isEmpty else { return [] }
            let due = try Row.fetchAll(
                db,
                sql: """
                    SELECT d.event_key, d.attempts, d.state, e.message_id, e.received_at, e.body
                    FROM deliveries d JOIN events e ON e.key = d.event_key
                    WHERE d.sink = ? AND d.event_key IN (\(keys.map { _ in "?" }.joined(separator: ",")))
                    ORDER BY d.event_key
                    """,
                arguments: StatementArguments([sink] + keys))
            let hold = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET state = 'in-flight', attempts = ?, last_error = COALESCE(?, last_error),
                        lease_owner = ?, lease_token = ?, lease_until = ?, updated_at = ?
                    WHERE event_key = ? AND sink = ?
                    """
            )
            return try due.map { row in
                let key: Int64 = row["event_key"]
                let expired = (row["state"] as String) == DeliveryState.inFlight.rawValue
                let attempts = (row["attempts"] as Int) + (expired ? 1 : 0)
                try hold.execute(arguments: [
                    attempts, expired ? DeliveryLease.expiredNote : nil, lease.owner, lease.token,
                    lease.expiresAt.timeIntervalSince1970, moment, key, sink,
                ])
                return ClaimedDelivery(
                    eventKey: key, sink: sink, attempts: attempts, messageId: row["message_id"],
                    receivedAt: Date(timeIntervalSince1970: row["received_at"]), body: [UInt8](row["body"] as Data),
                    lease: lease)
            }
        }
    }

    /// The keys of up to `limit` due deliveries of `sink`, oldest receipt first, read from the indexes alone and
    /// in time that grows with what is due, not with what is waiting.
    ///
    /// The head of the sink's pending deliveries, in receipt order, answers the usual case (new events are due at
    /// once). When a backlog not yet due fills the head (retries waiting out their backoff, a million of them after
    /// an outage), the due-time index finds what is due instead, reading at most `dueScanLimit` rows: the order is
    /// exact while fewer than that are due, and by due time past it. Expired leases are found among the sink's
    /// in-flight rows, which a claim bounds.
    static func dueKeys(_ db: Database, sink: String, limit: Int, moment: Double) throws -> [Int64] {
        let window = max(4 * limit, 256)
        let head = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT event_key, next_attempt_at FROM deliveries INDEXED BY deliveries_in_order
                    WHERE sink = ? AND state = 'pending' ORDER BY event_key LIMIT ?
                    """),
            arguments: [sink, window])
        var keys = head.filter { ($0["next_attempt_at"] as Double) <= moment }.map { $0["event_key"] as Int64 }
        if keys.count < limit && head.count == window {
            let byDueTime = try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT event_key FROM deliveries INDEXED BY deliveries_for_claim
                        WHERE sink = ? AND state = 'pending' AND next_attempt_at <= ? LIMIT ?
                        """),
                arguments: [sink, moment, dueScanLimit])
            keys = Array(Set(keys).union(byDueTime))
        }
        let expired = try Int64.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT event_key FROM deliveries INDEXED BY deliveries_in_order
                    WHERE sink = ? AND state = 'in-flight' AND (lease_until IS NULL OR lease_until <= ?)
                    ORDER BY event_key LIMIT ?
                    """),
            arguments: [sink, moment, limit])
        return Array((keys + expired).sorted().prefix(limit))
    }

    /// Whether a delivery of `sink` is in flight under a live lease (an in-order claim then takes nothing).
    static func isHeld(_ db: Database, sink: String, moment: Double) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM deliveries INDEXED BY deliveries_in_order
                    WHERE sink = ? AND state = 'in-flight' AND lease_until > ?)
                    """),
            arguments: [sink, moment]) ?? false
    }

    /// The most due rows one claim reads through the due-time index.
    static let dueScanLimit = 4096

    /// Extends the lease of the deliveries it still holds.
    public func renew(_ lease: DeliveryLease, until: Date) async throws(SpoolError) -> Int {
        try await writeRelaxed { db in
            try db.execute(
                sql: "UPDATE deliveries SET lease_until = ? WHERE lease_token = ? AND state = 'in-flight'",
                arguments: [until.timeIntervalSince1970, lease.token])
            return db.changesCount
        }
    }

    /// Records every result whose lease still holds, in one transaction; a delivered or failed delivery keeps the
    /// attempt's time as its `nextAttemptAt`.
    public func complete(_ results: [DeliveryResult]) async throws(SpoolError) -> CompletionReport {
        guard !results.isEmpty else { return CompletionReport(recorded: 0, ignored: 0) }
        let recorded = try await writeRelaxed { db in
            let held = "WHERE event_key = ? AND sink = ? AND state = 'in-flight' AND lease_token = ?"
            let released = "lease_owner = NULL, lease_token = NULL, lease_until = NULL"
            let delivered = try db.cachedStatement(
                sql: "UPDATE deliveries SET state = 'delivered', next_attempt_at = ?, updated_at = ?, \(released) \(held)"
            )
            let retry = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?,
                        last_error = ?, updated_at = ?, \(released) \(held)
                    """
            )
            let failed = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET state = 'failed', attempts = attempts + 1, next_attempt_at = ?,
                        last_error = ?, updated_at = ?, \(released) \(held)
                    """
            )
            var recorded = 0
            for result in results {
                let at = result.at.timeIntervalSince1970
                let key: StatementArguments = [result.eventKey, result.sink, result.leaseToken]
                switch result.kind {
                case .delivered:
                    try delivered.execute(arguments: [at, at] + key)
                case .retry(let next):
                    try retry.execute(arguments: [next.timeIntervalSince1970, result.error, at] + key)
                case .failed:
                    try failed.execute(arguments: [at, result.error, at] + key)
                }
                recorded += db.changesCount
            }
            return recorded
        }
        return CompletionReport(recorded: recorded, ignored: results.count - recorded)
    }

    /// The earliest pending `nextAttemptAt` or in-flight lease expiry of `sink`, if any.
    public func nextDue(sink: String) async throws(SpoolError) -> Date? {
        try await read { db in
            try Double.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(due) FROM (
                            SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE sink = ? AND state = 'pending'
                            UNION ALL
                            SELECT MIN(COALESCE(lease_until, 0)) FROM deliveries WHERE sink = ? AND state = 'in-flight'
                        )
                        """),
                arguments: [sink, sink]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Makes the pending (and expired in-flight) deliveries of `sink` dead letters with `reason`, in one statement.
    public func deadLetter(sink: String, reason: String, now: Date) async throws(SpoolError) -> Int {
        try await write { db in
            let moment = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    UPDATE deliveries SET state = 'failed', last_error = ?, next_attempt_at = ?, updated_at = ?,
                        lease_owner = NULL, lease_token = NULL, lease_until = NULL
                    WHERE sink = ? AND (state = 'pending'
                        OR (state = 'in-flight' AND (lease_until IS NULL OR lease_until <= ?)))
                    """,
                arguments: [reason, moment, moment, sink, moment])
            return db.changesCount
        }
    }
}
