import Foundation
import Logging
import NIOCore
import PostgresNIO
import RelayCore

extension PostgresSpool {
    /// Holds up to `limit` due deliveries of `sink` under one new lease, oldest receipt first, skipping rows another
    /// receiver is claiming at this instant (`FOR UPDATE SKIP LOCKED`).
    ///
    /// The due rows are chosen in a materialized CTE, so the planner cannot fold it into the update and lock more rows
    /// than the limit. They are looked for in the head of the sink's pending rows in receipt order (at most
    /// `4 × limit`, 256 or more); when that finds fewer than `limit`, among in-flight rows whose lease ran out, then
    /// through the due-time index, so neither a backlog waiting out its backoff nor rows other receivers hold make a
    /// claim read the whole backlog. All of it is one transaction.
    /// With ``LeaseTerms/inOrder`` the claim first takes the sink's lane lock for its transaction and takes nothing
    /// while any delivery of the sink is in flight under a live lease.
    public func claim(sink: String, limit: Int, lease terms: LeaseTerms, now: Date) async throws(SpoolError)
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let lease = DeliveryLease.new(terms, now: now)
        let moment = now.timeIntervalSince1970
        let window = max(4 * limit, 256)
        let note = DeliveryLease.expiredNote
        let logger = self.logger
        return try await transaction { connection in
            if terms.inOrder {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended('engage-relay lane ' || \(sink), 0))", logger: logger)
                let busy = try await connection.query(
                    """
                    SELECT 1 FROM relay_deliveries
                    WHERE sink = \(sink) AND state = 'in-flight' AND lease_until > \(moment) LIMIT 1
                    """, logger: logger)
                for try await _ in busy { return [] }
            }
            func hold(_ due: String, _ limit: Int) async throws -> [ClaimedDelivery] {
                var query = PostgresQuery(
                    unsafeSQL: """
                        WITH head AS MATERIALIZED (
                            SELECT event_key FROM relay_deliveries
                            WHERE sink = $1 AND state = 'pending' ORDER BY event_key LIMIT $4
                        ), due AS MATERIALIZED (\(due)),
                        held AS (
                            UPDATE relay_deliveries d SET state = 'in-flight',
                                attempts = d.attempts + CASE WHEN d.state = 'in-flight' THEN 1 ELSE 0 END,
                                last_error = CASE WHEN d.state = 'in-flight' THEN $5 ELSE d.last_error END,
                                lease_owner = $6, lease_token = $7, lease_until = $8, updated_at = $2
                            FROM due WHERE d.sink = $1 AND d.event_key = due.event_key
                            RETURNING d.event_key, d.attempts
                        )
                        SELECT held.event_key, held.attempts, e.message_id, e.received_at, b.body
                        FROM held JOIN relay_events e ON e.key = held.event_key
                            JOIN relay_event_bodies b ON b.event_key = held.event_key
                        ORDER BY held.event_key
                        """)
                query.binds.append(sink)
                query.binds.append(moment)
                query.binds.append(limit)
                query.binds.append(window)
                query.binds.append(note)
                query.binds.append(lease.owner)
                query.binds.append(lease.token)
                query.binds.append(lease.expiresAt.timeIntervalSince1970)
                var claimed: [ClaimedDelivery] = []
                let rows = try await connection.query(query, logger: logger)
                for try await (key, attempts, messageId, receivedAt, body) in rows.decode(
                    (Int64, Int, String, Double, ByteBuffer).self)
                {
                    claimed.append(
                        ClaimedDelivery(
                            eventKey: key, sink: sink, attempts: attempts, messageId: messageId,
                            receivedAt: Date(timeIntervalSince1970: receivedAt), body: Array(buffer: body),
                            lease: lease))
                }
                return claimed
            }
            // Receipt order within the head; the head's keys are joined by primary key, so the planner never
            // walks the whole due-time index to sort it.
            var claimed = try await hold(
                """
                SELECT event_key FROM relay_deliveries
                WHERE sink = $1 AND event_key IN (SELECT event_key FROM head) AND state = 'pending'
                    AND next_attempt_at <= $2
                ORDER BY event_key LIMIT $3 FOR UPDATE SKIP LOCKED
                """, limit)
            if claimed.count < limit {
                // Leases that ran out: a crashed receiver's, or a stuck batch's.
                claimed += try await hold(
                    """
                    SELECT event_key FROM relay_deliveries
                    WHERE sink = $1 AND state = 'in-flight' AND lease_until <= $2
                    ORDER BY lease_until LIMIT $3 FOR UPDATE SKIP LOCKED
                    """, limit - claimed.count)
            }
            if claimed.count < limit {
                // Due rows past the head: behind a backlog waiting out its backoff, or behind rows other receivers
                // hold at this instant.
                claimed += try await hold(
                    """
                    SELECT event_key FROM relay_deliveries
                    WHERE sink = $1 AND state = 'pending' AND next_attempt_at <= $2
                    ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
                    """, limit - claimed.count)
            }
            claimed.sort { $0.eventKey < $1.eventKey }
            return claimed
        }
    }

    /// Extends the lease of the deliveries it still holds.
    public func renew(_ lease: DeliveryLease, until: Date) async throws(SpoolError) -> Int {
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                UPDATE relay_deliveries SET lease_until = \(until.timeIntervalSince1970)
                WHERE lease_token = \(lease.token) AND state = 'in-flight' RETURNING 1
                """, logger: logger)
            return try await Self.count(rows)
        }
    }

    /// Records every result whose lease still holds, in one statement.
    public func complete(_ results: [DeliveryResult]) async throws(SpoolError) -> CompletionReport {
        guard !results.isEmpty else { return CompletionReport(recorded: 0, ignored: 0) }
        var keys: [Int64] = []
        var sinks: [String] = []
        var tokens: [String] = []
        var states: [String] = []
        var nexts: [Double] = []
        var errors: [String] = []
        var errorKnown: [Bool] = []
        var times: [Double] = []
        for result in results {
            keys.append(result.eventKey)
            sinks.append(result.sink)
            tokens.append(result.leaseToken)
            let at = result.at.timeIntervalSince1970
            times.append(at)
            errors.append(result.error ?? "")
            switch result.kind {
            case .delivered:
                states.append(DeliveryState.delivered.rawValue)
                nexts.append(at)
                errorKnown.append(false)
            case .retry(let next):
                states.append(DeliveryState.pending.rawValue)
                nexts.append(next.timeIntervalSince1970)
                errorKnown.append(result.error != nil)
            case .failed:
                states.append(DeliveryState.failed.rawValue)
                nexts.append(at)
                errorKnown.append(result.error != nil)
            }
        }
        let logger = self.logger
        let recorded = try await bounded { [keys, sinks, tokens, states, nexts, errors, errorKnown, times] client in
            let rows = try await client.query(
                """
                WITH done AS (
                UPDATE relay_deliveries d SET state = r.state,
                    attempts = d.attempts + CASE WHEN r.state = 'delivered' THEN 0 ELSE 1 END,
                    next_attempt_at = r.next,
                    last_error = CASE WHEN r.state = 'delivered' THEN d.last_error WHEN r.known THEN r.error END,
                    updated_at = r.at, lease_owner = NULL, lease_token = NULL, lease_until = NULL
                FROM unnest(\(keys)::bigint[], \(sinks)::text[], \(tokens)::text[], \(states)::text[],
                    \(nexts)::float8[], \(errors)::text[], \(errorKnown)::boolean[], \(times)::float8[])
                    AS r(key, sink, token, state, next, error, known, at)
                WHERE d.event_key = r.key AND d.sink = r.sink AND d.state = 'in-flight' AND d.lease_token = r.token
                RETURNING d.sink, d.state
                ), counted AS (
                    INSERT INTO relay_delivered_counts (sink, count)
                    SELECT sink, count(*) FROM done WHERE state = 'delivered' GROUP BY sink
                    ON CONFLICT (sink) DO UPDATE SET count = relay_delivered_counts.count + excluded.count
                )
                SELECT 1 FROM done
                """, logger: logger)
            return try await Self.count(rows)
        }
        return CompletionReport(recorded: recorded, ignored: results.count - recorded)
    }

    /// The earliest pending `nextAttemptAt` or in-flight lease expiry of `sink`, from the partial indexes.
    public func nextDue(sink: String) async throws(SpoolError) -> Date? {
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                SELECT LEAST(
                    (SELECT MIN(next_attempt_at) FROM relay_deliveries WHERE sink = \(sink) AND state = 'pending'),
                    (SELECT MIN(lease_until) FROM relay_deliveries WHERE sink = \(sink) AND state = 'in-flight'))
                """, logger: logger)
            for try await due in rows.decode(Double?.self) { return due.map(Date.init(timeIntervalSince1970:)) }
            return nil
        }
    }

    /// Makes the pending (and expired in-flight) deliveries of `sink` dead letters with `reason`, in one statement.
    public func deadLetter(sink: String, reason: String, now: Date) async throws(SpoolError) -> Int {
        let moment = now.timeIntervalSince1970
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                UPDATE relay_deliveries SET state = 'failed', last_error = \(reason), next_attempt_at = \(moment),
                    updated_at = \(moment), lease_owner = NULL, lease_token = NULL, lease_until = NULL
                WHERE sink = \(sink) AND (state = 'pending' OR (state = 'in-flight' AND lease_until <= \(moment)))
                RETURNING 1
                """, logger: logger)
            return try await Self.count(rows)
        }
    }
}
