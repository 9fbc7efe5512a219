import Foundation
import GRDB
import RelayCore

extension SQLiteSpool {
    /// Holds up to `limit` due deliveries of `sink` under one new lease, oldest receipt first: pending ones due by
    /// `now`, and in-flight ones whose lease ran out (their lost attempt is counted, with a note).
    public func claim(sink: String, limit: Int, lease terms: LeaseTerms, now: Date) async throws(SpoolError)
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let lease = DeliveryLease.new(terms, now: now)
        return try await writeRelaxed { db in
            let moment = now.timeIntervalSince1970
            // Keys first, from the claim index alone: joining bodies before the sort would read every due row.
            let due = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT d.event_key, d.attempts, d.state, e.message_id, e.received_at, e.body
                        FROM (
                            SELECT event_key FROM (
                                SELECT event_key FROM deliveries INDEXED BY deliveries_in_order
                                WHERE sink = ? AND state = 'pending' AND next_attempt_at <= ?
                                ORDER BY event_key LIMIT ?
                            )
                            UNION ALL
                            SELECT event_key FROM (
                                SELECT event_key FROM deliveries INDEXED BY deliveries_in_order
                                WHERE sink = ? AND state = 'in-flight' AND (lease_until IS NULL OR lease_until <= ?)
                                ORDER BY event_key LIMIT ?
                            )
                            ORDER BY event_key LIMIT ?
                        ) due
                        JOIN deliveries d ON d.event_key = due.event_key AND d.sink = ?
                        JOIN events e ON e.key = due.event_key
                        ORDER BY due.event_key
                        """
                ),
                arguments: [sink, moment, limit, sink, moment, limit, limit, sink]
            )
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
