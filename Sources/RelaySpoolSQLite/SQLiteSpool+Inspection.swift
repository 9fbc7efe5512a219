import Foundation
import GRDB
import RelayCore

extension SQLiteSpool {
    /// Events matching the query, newest first, without bodies.
    public func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent] {
        guard query.limit > 0 else { return [] }
        let filter = EventFilter(query)
        return try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(StoredEvent.columns(withBody: false)) FROM events e \(filter.sql)
                    ORDER BY e.key DESC LIMIT ?
                    """,
                arguments: filter.arguments + [query.limit]
            )
            return try rows.map { row in
                try StoredEvent(row, deliveries: StoredDelivery.fetchAll(eventKey: row["key"], in: db))
            }
        }
    }

    /// One event with its body, by message id or else by event id (the latest received, if several share it).
    public func event(_ idOrMessageId: String) async throws(SpoolError) -> StoredEvent? {
        try await read { db in
            let key =
                try Int64.fetchOne(db, sql: "SELECT key FROM events WHERE message_id = ?", arguments: [idOrMessageId])
                ?? Int64.fetchOne(
                    db, sql: "SELECT MAX(key) FROM events WHERE event_id = ?", arguments: [idOrMessageId])
            guard let key else { return nil }
            return try StoredEvent.fetch(key: key, withBody: true, in: db)
        }
    }

    /// Events after `key`, in receipt order, with bodies and deliveries.
    public func exportEvents(after key: Int64, limit: Int) async throws(SpoolError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Int64.fetchAll(db, sql: "SELECT key FROM events WHERE key > ? ORDER BY key LIMIT ?", arguments: [key, limit])
                .compactMap { try StoredEvent.fetch(key: $0, withBody: true, in: db) }
        }
    }

    /// Stores copies of events from another spool in one transaction, skipping message ids already held.
    public func importEvents(_ events: [StoredEvent], now: Date) async throws(SpoolError) -> Int {
        guard !events.isEmpty else { return 0 }
        return try await write { db in
            let insertEvent = try db.cachedStatement(
                sql: """
                    INSERT INTO events (message_id, event_id, type, tenant, received_at, body, state, reason)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING RETURNING key
                    """)
            let insertDelivery = try db.cachedStatement(
                sql: """
                    INSERT INTO deliveries (event_key, sink, state, attempts, next_attempt_at, last_error, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            var added = 0
            for event in events {
                let arguments: StatementArguments = [
                    event.messageId, event.eventId, event.type, event.tenant, event.receivedAt.timeIntervalSince1970,
                    Data(event.body ?? []), event.state.rawValue, event.reason,
                ]
                guard let key = try Int64.fetchOne(insertEvent, arguments: arguments) else { continue }
                for delivery in event.deliveries {
                    let state = delivery.state == .inFlight ? DeliveryState.pending : delivery.state
                    try insertDelivery.execute(arguments: [
                        key, delivery.sink, state.rawValue, delivery.attempts,
                        delivery.nextAttemptAt.timeIntervalSince1970, delivery.lastError, now.timeIntervalSince1970,
                    ])
                }
                added += 1
            }
            return added
        }
    }

    /// Counts of deliveries by sink and state, with the oldest receipt among each.
    public func depth() async throws(SpoolError) -> [DepthRow] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT d.sink, d.state, COUNT(*) AS count, MIN(e.received_at) AS oldest
                    FROM deliveries d JOIN events e ON e.key = d.event_key
                    GROUP BY d.sink, d.state ORDER BY d.sink, d.state
                    """
            ).map { row in
                DepthRow(
                    sink: row["sink"], state: try DeliveryState(stored: row["state"]), count: row["count"],
                    oldestReceivedAt: (row["oldest"] as Double?).map(Date.init(timeIntervalSince1970:)))
            }
        }
    }
}
