import Foundation
import GRDB
import RelayCore

extension SQLiteSpool {
    /// Marks up to `limit` due pending deliveries of `sink` in-flight and returns them, oldest receipt first.
    public func claim(sink: String, limit: Int, now: Date) async throws(SpoolError) -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        return try await writeRelaxed { db in
            // Keys first, from the claim index alone: joining bodies before the sort would read every due row.
            let due = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT d.event_key, d.attempts, e.message_id, e.received_at, e.body
                        FROM (
                            SELECT event_key FROM deliveries INDEXED BY deliveries_in_order
                            WHERE sink = ? AND state = 'pending' AND next_attempt_at <= ?
                            ORDER BY event_key
                            LIMIT ?
                        ) due
                        JOIN deliveries d ON d.event_key = due.event_key AND d.sink = ?
                        JOIN events e ON e.key = due.event_key
                        ORDER BY due.event_key
                        """
                ),
                arguments: [sink, now.timeIntervalSince1970, limit, sink]
            )
            let markInFlight = try db.cachedStatement(
                sql: "UPDATE deliveries SET state = 'in-flight', updated_at = ? WHERE event_key = ? AND sink = ?")
            return try due.map { row in
                let key: Int64 = row["event_key"]
                try markInFlight.execute(arguments: [now.timeIntervalSince1970, key, sink])
                return ClaimedDelivery(
                    eventKey: key, sink: sink, attempts: row["attempts"], messageId: row["message_id"],
                    receivedAt: Date(timeIntervalSince1970: row["received_at"]), body: [UInt8](row["body"] as Data))
            }
        }
    }

    /// Records every result in one transaction; a delivered or failed delivery keeps the attempt's time as its
    /// `nextAttemptAt`.
    public func complete(_ results: [DeliveryResult]) async throws(SpoolError) {
        guard !results.isEmpty else { return }
        try await writeRelaxed { db in
            let delivered = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET state = 'delivered', next_attempt_at = ?, updated_at = ?
                    WHERE event_key = ? AND sink = ?
                    """
            )
            let retry = try db.cachedStatement(
                sql: """
                    UPDATE deliveries
                    SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ?
                    WHERE event_key = ? AND sink = ?
                    """
            )
            let failed = try db.cachedStatement(
                sql: """
                    UPDATE deliveries
                    SET state = 'failed', attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ?
                    WHERE event_key = ? AND sink = ?
                    """
            )
            for result in results {
                let at = result.at.timeIntervalSince1970
                switch result.kind {
                case .delivered:
                    try delivered.execute(arguments: [at, at, result.eventKey, result.sink])
                case .retry(let next):
                    try retry.execute(
                        arguments: [next.timeIntervalSince1970, result.error, at, result.eventKey, result.sink])
                case .failed:
                    try failed.execute(arguments: [at, result.error, at, result.eventKey, result.sink])
                }
            }
        }
    }

    /// The earliest `nextAttemptAt` among pending deliveries of `sink`, if any.
    public func nextDue(sink: String) async throws(SpoolError) -> Date? {
        try await read { db in
            try Double.fetchOne(
                db.cachedStatement(
                    sql: "SELECT MIN(next_attempt_at) FROM deliveries WHERE sink = ? AND state = 'pending'"),
                arguments: [sink]
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Puts every in-flight delivery back to pending, keeping its due time; returns how many.
    public func recover(now: Date) async throws(SpoolError) -> Int {
        try await write { db in
            try db.execute(
                sql: "UPDATE deliveries SET state = 'pending', updated_at = ? WHERE state = 'in-flight'",
                arguments: [now.timeIntervalSince1970])
            return db.changesCount
        }
    }
}
