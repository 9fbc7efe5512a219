import Foundation
import Logging
import NIOCore
import PostgresNIO
import RelayCore

extension PostgresSpool {
    /// Writes one group-commit batch in one transaction: the events through one multi-row insert that skips message
    /// ids already held (by this receiver or any other: `ON CONFLICT DO NOTHING` waits for a concurrent insert of the
    /// same id and then skips it), then their bodies and deliveries. The first record of an id in the batch is the
    /// one stored; later ones are duplicates.
    static func insert(_ records: [SpoolRecord], client: PostgresClient, name: String, timeout: Duration) async
        -> Result<[SpoolAppendResult], SpoolError>
    {
        var firstIndex: [String: Int] = [:]
        for (index, record) in records.enumerated() where firstIndex[record.messageId] == nil {
            firstIndex[record.messageId] = index
        }
        let candidates = records.indices.filter { firstIndex[records[$0].messageId] == $0 }
        let logger = Logger(label: "engage-relay.spool.postgres")
        let stored = await bounded(client: client, name: name, timeout: timeout) { client -> [String: Int64] in
            try await client.withTransaction(logger: logger) { connection in
                let rows = candidates.map { records[$0] }
                let messageIds = rows.map(\.messageId)
                let eventIds = rows.map(\.eventId)
                let types = rows.map(\.type)
                let tenants = rows.map { $0.tenant ?? "" }
                let tenantKnown = rows.map { $0.tenant != nil }
                let times = rows.map { $0.receivedAt.timeIntervalSince1970 }
                let states = rows.map(\.state.rawValue)
                let reasons = rows.map { $0.reason ?? "" }
                let reasonKnown = rows.map { $0.reason != nil }
                var keys: [String: Int64] = [:]
                let inserted = try await connection.query(
                    """
                    INSERT INTO relay_events (message_id, event_id, type, tenant, received_at, state, reason)
                    SELECT m, e, t, CASE WHEN tk THEN tn END, r, s, CASE WHEN rk THEN rs END
                    FROM unnest(\(messageIds)::text[], \(eventIds)::text[], \(types)::text[], \(tenants)::text[],
                        \(tenantKnown)::boolean[], \(times)::float8[], \(states)::text[], \(reasons)::text[],
                        \(reasonKnown)::boolean[]) WITH ORDINALITY AS x(m, e, t, tn, tk, r, s, rs, rk, n)
                    ORDER BY n
                    ON CONFLICT (message_id) DO NOTHING
                    RETURNING key, message_id
                    """, logger: logger)
                for try await (key, messageId) in inserted.decode((Int64, String).self) { keys[messageId] = key }
                guard !keys.isEmpty else { return keys }
                var bodyKeys: [Int64] = []
                var bodies: [ByteBuffer] = []
                var deliveryKeys: [Int64] = []
                var deliverySinks: [String] = []
                var deliveryTimes: [Double] = []
                for record in rows {
                    guard let key = keys[record.messageId] else { continue }
                    bodyKeys.append(key)
                    bodies.append(ByteBuffer(bytes: record.body))
                    for sink in Set(record.sinks).sorted() {
                        deliveryKeys.append(key)
                        deliverySinks.append(sink)
                        deliveryTimes.append(record.receivedAt.timeIntervalSince1970)
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
                        INSERT INTO relay_deliveries (event_key, sink, state, attempts, next_attempt_at, updated_at)
                        SELECT k, s, 'pending', 0, t, t FROM unnest(\(deliveryKeys)::bigint[], \(deliverySinks)::text[],
                            \(deliveryTimes)::float8[]) AS x(k, s, t)
                        """, logger: logger)
                }
                return keys
            }
        }
        return stored.map { keys in
            records.enumerated().map { index, record in
                firstIndex[record.messageId] == index && keys[record.messageId] != nil ? .stored : .duplicate
            }
        }
    }
}
