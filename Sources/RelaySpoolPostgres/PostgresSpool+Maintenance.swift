import Foundation
import Logging
import PostgresNIO
import RelayCore

extension PostgresSpool {
    /// Events one prune transaction deletes at most, so appends never wait long behind it.
    static let pruneChunk = 5_000

    /// Deletes events received before `cutoff` whose deliveries are all delivered (or that never had any), in
    /// batches of ``pruneChunk``; undeliverable events and events with dead letters stay.
    public func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int {
        let moment = cutoff.timeIntervalSince1970
        let logger = self.logger
        var deleted = 0
        while true {
            let chunk = try await bounded { client in
                let rows = try await client.query(
                    """
                    WITH chosen AS MATERIALIZED (
                        SELECT e.key FROM relay_events e
                        WHERE e.received_at < \(moment) AND e.state <> 'undeliverable'
                            AND NOT EXISTS (
                                SELECT 1 FROM relay_deliveries d WHERE d.event_key = e.key AND d.state <> 'delivered')
                        LIMIT \(Self.pruneChunk)
                        FOR UPDATE SKIP LOCKED
                    ), per_sink AS (
                        SELECT sink, count(*) AS n FROM relay_deliveries WHERE event_key IN (SELECT key FROM chosen)
                        GROUP BY sink
                    ), uncounted AS (
                        UPDATE relay_delivered_counts c SET count = c.count - per_sink.n FROM per_sink
                        WHERE c.sink = per_sink.sink
                    )
                    DELETE FROM relay_events WHERE key IN (SELECT key FROM chosen) RETURNING 1
                    """, logger: logger)
                return try await Self.count(rows)
            }
            deleted += chunk
            if chunk < Self.pruneChunk { break }
        }
        if deleted > 0 { logger.debug("spool pruned", metadata: ["relay.spool.pruned": "\(deleted)"]) }
        return deleted
    }

    /// Resets or creates pending deliveries (attempts 0, due `now`) for the selected events, in one transaction,
    /// with the same choice of sinks as the SQLite spool (``ReplaySelection``).
    public func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int {
        let filter = PostgresEventFilter(selection)
        // Routing an event again needs its body.
        let sql = """
            SELECT \(Self.eventColumns), b.body FROM relay_events e JOIN relay_event_bodies b ON b.event_key = e.key
            \(filter.sql) ORDER BY e.key
            """
        let binds = filter.binds
        let moment = now.timeIntervalSince1970
        let logger = self.logger
        // The routes are read outside the transaction: `sinks` may not be sendable across it.
        let events = try await bounded { client in
            try await Self.attachDeliveries(
                Self.decodeEvents(client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger), withBody: true),
                client: client, logger: logger)
        }
        var keys: [Int64] = []
        var targets: [String] = []
        var routed: [Int64] = []
        for event in events {
            let chosen = selection.targets(of: event, routed: sinks(event))
            for sink in chosen {
                keys.append(event.key)
                targets.append(sink)
            }
            if !chosen.isEmpty && event.state != .routed { routed.append(event.key) }
        }
        guard !keys.isEmpty else { return 0 }
        let queued = try await transaction { [keys, targets, routed] connection in
            try await connection.query(
                """
                WITH reset AS (
                    SELECT d.sink, count(*) AS n FROM relay_deliveries d
                    JOIN unnest(\(keys)::bigint[], \(targets)::text[]) AS x(k, s) ON d.event_key = x.k AND d.sink = x.s
                    WHERE d.state = 'delivered' GROUP BY d.sink
                )
                UPDATE relay_delivered_counts c SET count = c.count - reset.n FROM reset WHERE c.sink = reset.sink
                """, logger: logger)
            let rows = try await connection.query(
                """
                INSERT INTO relay_deliveries (event_key, sink, state, attempts, next_attempt_at, last_error, updated_at)
                SELECT k, s, 'pending', 0, \(moment), NULL, \(moment)
                FROM unnest(\(keys)::bigint[], \(targets)::text[]) AS x(k, s)
                WHERE EXISTS (SELECT 1 FROM relay_events WHERE key = x.k)
                ON CONFLICT (event_key, sink) DO UPDATE SET
                    state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL,
                    updated_at = excluded.updated_at, lease_owner = NULL, lease_token = NULL, lease_until = NULL
                RETURNING 1
                """, logger: logger)
            let count = try await Self.count(rows)
            if !routed.isEmpty {
                try await connection.query(
                    "UPDATE relay_events SET state = 'routed' WHERE key = ANY(\(routed)::bigint[])", logger: logger)
            }
            return count
        }
        logger.debug("spool replay queued", metadata: ["relay.spool.queued": "\(queued)"])
        return queued
    }

    /// Deletes the failed deliveries of the selected events (only to `selection.sink` when set); returns how many.
    public func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        var filter = PostgresEventFilter(selection)
        var conditions = ["state = 'failed'", "event_key IN (SELECT e.key FROM relay_events e \(filter.sql))"]
        if let sink = selection.sink { conditions.append("sink = \(filter.bind(sink))") }
        let sql = "DELETE FROM relay_deliveries WHERE " + conditions.joined(separator: " AND ") + " RETURNING 1"
        return try await count(sql, filter.binds)
    }

    /// Deletes the selected undeliverable events (ids and time range), bodies included; returns how many.
    public func purgeUndeliverable(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        let filter = PostgresEventFilter(
            ReplaySelection(
                ids: selection.ids, eventState: .undeliverable, since: selection.since, until: selection.until))
        let deleted = try await count(
            "DELETE FROM relay_events WHERE key IN (SELECT e.key FROM relay_events e \(filter.sql)) RETURNING 1",
            filter.binds)
        logger.debug("spool purged undeliverable events", metadata: ["relay.spool.purged": "\(deleted)"])
        return deleted
    }

    /// The rows of a statement ending in `RETURNING …`: how many it changed.
    static func count(_ rows: PostgresRowSequence) async throws -> Int {
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }

    /// Runs a statement ending in `RETURNING 1` and counts its rows.
    private func count(_ sql: String, _ binds: PostgresBindings) async throws(SpoolError) -> Int {
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            return try await Self.count(rows)
        }
    }
}
