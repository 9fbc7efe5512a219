import Foundation
import Logging
import NIOCore
import PostgresNIO
import RelayCore

extension PostgresSpool {
    /// Events matching the query, newest first, without bodies.
    public func events(_ query: EventQuery) async throws(SpoolError) -> [StoredEvent] {
        guard query.limit > 0 else { return [] }
        var filter = PostgresEventFilter(query)
        let limit = filter.bind(query.limit)
        let sql = "SELECT \(Self.eventColumns) FROM relay_events e \(filter.sql) ORDER BY e.key DESC LIMIT \(limit)"
        let binds = filter.binds
        let logger = self.logger
        return try await bounded { client in
            let events = try await Self.decodeEvents(
                client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger), withBody: false)
            return try await Self.attachDeliveries(events, client: client, logger: logger)
        }
    }

    /// One event with its body, by message id or else by event id (the latest received, if several share it).
    public func event(_ idOrMessageId: String) async throws(SpoolError) -> StoredEvent? {
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.eventColumns), b.body FROM relay_events e
                JOIN relay_event_bodies b ON b.event_key = e.key
                WHERE e.key = COALESCE(
                    (SELECT key FROM relay_events WHERE message_id = \(idOrMessageId)),
                    (SELECT MAX(key) FROM relay_events WHERE event_id = \(idOrMessageId)))
                """, logger: logger)
            let events = try await Self.decodeEvents(rows, withBody: true)
            return try await Self.attachDeliveries(events, client: client, logger: logger).first
        }
    }

    /// Events after `key`, in receipt order, with bodies and deliveries.
    public func exportEvents(after key: Int64, limit: Int) async throws(SpoolError) -> [StoredEvent] {
        guard limit > 0 else { return [] }
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.eventColumns), b.body FROM relay_events e
                JOIN relay_event_bodies b ON b.event_key = e.key
                WHERE e.key > \(key) ORDER BY e.key LIMIT \(limit)
                """, logger: logger)
            return try await Self.attachDeliveries(Self.decodeEvents(rows, withBody: true), client: client, logger: logger)
        }
    }

    /// Stores copies of events from another spool in one transaction, skipping message ids already held.
    public func importEvents(_ events: [StoredEvent], now: Date) async throws(SpoolError) -> Int {
        var seen = Set<String>()
        let events = events.filter { seen.insert($0.messageId).inserted }
        guard !events.isEmpty else { return 0 }
        let logger = self.logger
        let moment = now.timeIntervalSince1970
        return try await transaction(.seconds(120)) { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO relay_events (message_id, event_id, type, tenant, received_at, state, reason)
                SELECT m, e, t, CASE WHEN tk THEN tn END, r, s, CASE WHEN rk THEN rs END
                FROM unnest(\(events.map(\.messageId))::text[], \(events.map(\.eventId))::text[],
                    \(events.map(\.type))::text[], \(events.map { $0.tenant ?? "" })::text[],
                    \(events.map { $0.tenant != nil })::boolean[], \(events.map { $0.receivedAt.timeIntervalSince1970 })::float8[],
                    \(events.map(\.state.rawValue))::text[], \(events.map { $0.reason ?? "" })::text[],
                    \(events.map { $0.reason != nil })::boolean[]) WITH ORDINALITY AS x(m, e, t, tn, tk, r, s, rs, rk, n)
                ORDER BY n
                ON CONFLICT (message_id) DO NOTHING
                RETURNING key, message_id
                """, logger: logger)
            var keys: [String: Int64] = [:]
            for try await (key, messageId) in inserted.decode((Int64, String).self) { keys[messageId] = key }
            guard !keys.isEmpty else { return 0 }
            var bodyKeys: [Int64] = []
            var bodies: [ByteBuffer] = []
            var deliveryKeys: [Int64] = []
            var sinks: [String] = []
            var states: [String] = []
            var attempts: [Int] = []
            var nexts: [Double] = []
            var errors: [String] = []
            var errorKnown: [Bool] = []
            for event in events {
                guard let key = keys[event.messageId] else { continue }
                bodyKeys.append(key)
                bodies.append(ByteBuffer(bytes: event.body ?? []))
                for delivery in event.deliveries {
                    deliveryKeys.append(key)
                    sinks.append(delivery.sink)
                    states.append((delivery.state == .inFlight ? DeliveryState.pending : delivery.state).rawValue)
                    attempts.append(delivery.attempts)
                    nexts.append(delivery.nextAttemptAt.timeIntervalSince1970)
                    errors.append(delivery.lastError ?? "")
                    errorKnown.append(delivery.lastError != nil)
                }
            }
            try await connection.query(
                """
                INSERT INTO relay_event_bodies (event_key, body)
                SELECT * FROM unnest(\(bodyKeys)::bigint[], \(bodies)::bytea[])
                """, logger: logger)
            if !deliveryKeys.isEmpty {
                try await connection.query(
                    """
                    WITH added AS (
                        INSERT INTO relay_deliveries (event_key, sink, state, attempts, next_attempt_at, last_error, updated_at)
                        SELECT k, s, st, a, n, CASE WHEN ek THEN er END, \(moment)
                        FROM unnest(\(deliveryKeys)::bigint[], \(sinks)::text[], \(states)::text[], \(attempts)::bigint[],
                            \(nexts)::float8[], \(errors)::text[], \(errorKnown)::boolean[]) AS x(k, s, st, a, n, er, ek)
                        RETURNING sink, state
                    )
                    INSERT INTO relay_delivered_counts (sink, count)
                    SELECT sink, count(*) FROM added WHERE state = 'delivered' GROUP BY sink
                    ON CONFLICT (sink) DO UPDATE SET count = relay_delivered_counts.count + excluded.count
                    """, logger: logger)
            }
            return keys.count
        }
    }

    /// Counts of deliveries by sink and state, with the oldest receipt among pending and in-flight ones, from cheap
    /// queries: the partial indexes hold only the rows that are not delivered (what a backlog is made of), and the
    /// delivered count is kept in `relay_delivered_counts` by the statements that change it.
    public func depth() async throws(SpoolError) -> [DepthRow] {
        let logger = self.logger
        return try await bounded { client in
            let rows = try await client.query(
                """
                WITH waiting AS (
                    SELECT sink, 'pending' AS state, count(*) AS n, min(event_key) AS oldest FROM relay_deliveries
                        WHERE state = 'pending' GROUP BY sink
                    UNION ALL
                    SELECT sink, 'in-flight', count(*), min(event_key) FROM relay_deliveries
                        WHERE state = 'in-flight' GROUP BY sink
                    UNION ALL
                    SELECT sink, 'failed', count(*), NULL FROM relay_deliveries WHERE state = 'failed' GROUP BY sink
                )
                SELECT w.sink, w.state, w.n, e.received_at FROM waiting w LEFT JOIN relay_events e ON e.key = w.oldest
                UNION ALL
                SELECT sink, 'delivered', count, NULL FROM relay_delivered_counts WHERE count > 0
                ORDER BY 1, 2
                """, logger: logger)
            var result: [DepthRow] = []
            for try await (sink, state, count, oldest) in rows.decode((String, String, Int64, Double?).self) {
                result.append(
                    DepthRow(
                        sink: sink, state: try Self.deliveryState(state), count: Int(count),
                        oldestReceivedAt: oldest.map(Date.init(timeIntervalSince1970:))))
            }
            return result
        }
    }

    static let eventColumns = "e.key, e.message_id, e.event_id, e.type, e.tenant, e.received_at, e.state, e.reason"

    static func decodeEvents(_ rows: PostgresRowSequence, withBody: Bool) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let state = try cells[6].decode(String.self)
            guard let eventState = StoredEventState(rawValue: state) else {
                throw SpoolError(.storageFailed, "the spool holds an event in an unknown state `\(state)`")
            }
            events.append(
                StoredEvent(
                    key: try cells[0].decode(Int64.self), messageId: try cells[1].decode(String.self),
                    eventId: try cells[2].decode(String.self), type: try cells[3].decode(String.self),
                    tenant: try cells[4].decode(String?.self),
                    receivedAt: Date(timeIntervalSince1970: try cells[5].decode(Double.self)), state: eventState,
                    reason: try cells[7].decode(String?.self),
                    body: withBody ? Array(buffer: try cells[8].decode(ByteBuffer.self)) : nil, deliveries: []))
        }
        return events
    }

    /// Fills in each event's deliveries, sorted by sink, with one query.
    static func attachDeliveries(_ events: [StoredEvent], client: PostgresClient, logger: Logger) async throws
        -> [StoredEvent]
    {
        guard !events.isEmpty else { return events }
        let keys = events.map(\.key)
        let rows = try await client.query(
            """
            SELECT event_key, sink, state, attempts, next_attempt_at, last_error FROM relay_deliveries
            WHERE event_key = ANY(\(keys)::bigint[]) ORDER BY event_key, sink
            """, logger: logger)
        var byKey: [Int64: [StoredDelivery]] = [:]
        for try await (key, sink, state, attempts, next, error) in rows.decode(
            (Int64, String, String, Int, Double, String?).self)
        {
            byKey[key, default: []].append(
                StoredDelivery(
                    sink: sink, state: try deliveryState(state), attempts: attempts,
                    nextAttemptAt: Date(timeIntervalSince1970: next), lastError: error))
        }
        return events.map { event in
            var event = event
            event.deliveries = byKey[event.key] ?? []
            return event
        }
    }

    static func deliveryState(_ text: String) throws -> DeliveryState {
        guard let state = DeliveryState(rawValue: text) else {
            throw SpoolError(.storageFailed, "the spool holds a delivery in an unknown state `\(text)`")
        }
        return state
    }
}
