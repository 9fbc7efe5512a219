import Foundation
import GRDB
import Logging
import RelayCore

extension SQLiteSpool {
    /// Events one prune transaction deletes at most, so appends (and other processes) never wait long for it.
    static let pruneChunk = 5_000

    /// Deletes events received before `cutoff` whose deliveries are all delivered (or that never had any), in
    /// short transactions; undeliverable events and events with dead letters stay. Returns how many were deleted.
    public func prune(receivedBefore cutoff: Date) async throws(SpoolError) -> Int {
        var deleted = 0
        while true {
            let chunk = try await write { db in
                try db.execute(
                    sql: """
                        DELETE FROM events WHERE key IN (
                            SELECT e.key FROM events e
                            WHERE e.received_at < ? AND e.state != 'undeliverable'
                                AND NOT EXISTS (
                                    SELECT 1 FROM deliveries d WHERE d.event_key = e.key AND d.state != 'delivered'
                                )
                            LIMIT ?
                        )
                        """,
                    arguments: [cutoff.timeIntervalSince1970, Self.pruneChunk]
                )
                return db.changesCount
            }
            deleted += chunk
            if chunk < Self.pruneChunk { break }
        }
        if deleted > 0 { logger.debug("spool pruned", metadata: ["relay.spool.pruned": "\(deleted)"]) }
        return deleted
    }

    /// Resets or creates pending deliveries (attempts 0, due `now`) for the selected events, in one transaction.
    ///
    /// The sinks of an event are those `sinks` names for it, narrowed to `selection.sink` when set (which may
    /// also name a sink the event had a delivery to before routes changed), and to the sinks whose delivery is
    /// in `selection.deliveryState` when set, so retrying dead letters never re-sends what was delivered.
    /// An unrouted or undeliverable event that gets a delivery becomes routed.
    public func replay(
        _ selection: ReplaySelection, now: Date, sinks: @Sendable (StoredEvent) -> [String]
    ) async throws(SpoolError) -> Int {
        let filter = EventFilter(selection)
        let queued = try await write { db in
            let keys = try Int64.fetchAll(
                db, sql: "SELECT e.key FROM events e \(filter.sql) ORDER BY e.key", arguments: filter.arguments)
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO deliveries (event_key, sink, state, attempts, next_attempt_at, last_error, updated_at)
                    VALUES (?, ?, 'pending', 0, ?, NULL, ?)
                    ON CONFLICT (event_key, sink) DO UPDATE SET
                        state = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,
                        last_error = NULL, updated_at = excluded.updated_at,
                        lease_owner = NULL, lease_token = NULL, lease_until = NULL
                    """
            )
            let markRouted = try db.cachedStatement(sql: "UPDATE events SET state = 'routed' WHERE key = ?")
            var queued = 0
            for key in keys {
                guard let event = try StoredEvent.fetch(key: key, withBody: true, in: db) else { continue }
                let targets = selection.targets(of: event, routed: sinks(event))
                for sink in targets {
                    try upsert.execute(arguments: [key, sink, now.timeIntervalSince1970, now.timeIntervalSince1970])
                }
                if !targets.isEmpty && event.state != .routed { try markRouted.execute(arguments: [key]) }
                queued += targets.count
            }
            return queued
        }
        logger.debug("spool replay queued", metadata: ["relay.spool.queued": "\(queued)"])
        return queued
    }

    /// Deletes the failed deliveries of the selected events (only to `selection.sink` when set); returns how many.
    public func purge(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        let filter = EventFilter(selection)
        var conditions = ["state = 'failed'", "event_key IN (SELECT e.key FROM events e \(filter.sql))"]
        var arguments = filter.arguments
        if let sink = selection.sink {
            conditions.append("sink = ?")
            arguments += [sink]
        }
        let sql = "DELETE FROM deliveries WHERE " + conditions.joined(separator: " AND ")
        return try await write { [arguments] db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
    }

    /// Deletes the selected undeliverable events (ids and time range; sink and delivery state do not apply), in one
    /// transaction; returns how many.
    public func purgeUndeliverable(_ selection: ReplaySelection) async throws(SpoolError) -> Int {
        let filter = EventFilter(
            ReplaySelection(
                ids: selection.ids, eventState: .undeliverable, since: selection.since, until: selection.until))
        let sql = "DELETE FROM events WHERE key IN (SELECT e.key FROM events e \(filter.sql))"
        let deleted = try await write { db in
            try db.execute(sql: sql, arguments: filter.arguments)
            return db.changesCount
        }
        logger.debug("spool purged undeliverable events", metadata: ["relay.spool.purged": "\(deleted)"])
        return deleted
    }
}
