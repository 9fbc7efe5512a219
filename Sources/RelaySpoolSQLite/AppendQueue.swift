import Foundation
import GRDB
import Logging
import RelayCore

/// SQLite's half of group commit (``GroupCommit``): one batch per `BEGIN IMMEDIATE` transaction on GRDB's writer
/// queue, committed with `synchronous = FULL`.
enum AppendQueue {
    static func make(pool: DatabasePool, batchLimit: Int, capacity: Int, errors: SpoolErrors, logger: Logger)
        -> GroupCommit
    {
        GroupCommit(batchLimit: batchLimit, capacity: capacity, closedError: errors.closed, logger: logger) {
            records, done in
            pool.asyncWriteWithoutTransaction { db in
                do {
                    // The sender hears 2xx after this commit: it must reach the disk (dispatcher writes relax this,
                    // and the level can only change outside a transaction).
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    var results: [SpoolAppendResult] = []
                    try db.inTransaction(.immediate) {
                        results = try insert(records, into: db)
                        return .commit
                    }
                    done(.success(results))
                } catch {
                    done(.failure(errors.storage(error, isClosed: false)))
                }
            }
        }
    }

    /// Inserts each record and its deliveries; a record whose message id is already held (or earlier in the same
    /// batch) is a duplicate and adds nothing.
    static func insert(_ records: [SpoolRecord], into db: Database) throws -> [SpoolAppendResult] {
        let insertEvent = try db.cachedStatement(
            sql: """
                INSERT INTO events (message_id, event_id, type, tenant, received_at, body, state, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (message_id) DO NOTHING
                RETURNING key
                """
        )
        let insertDelivery = try db.cachedStatement(
            sql: """
                INSERT INTO deliveries (event_key, sink, state, attempts, next_attempt_at, updated_at)
                VALUES (?, ?, 'pending', 0, ?, ?)
                ON CONFLICT (event_key, sink) DO NOTHING
                """
        )
        return try records.map { record in
            let receivedAt = record.receivedAt.timeIntervalSince1970
            let arguments: StatementArguments = [
                record.messageId, record.eventId, record.type, record.tenant, receivedAt, Data(record.body),
                record.state.rawValue, record.reason,
            ]
            guard let key = try Int64.fetchOne(insertEvent, arguments: arguments) else { return .duplicate }
            for sink in record.sinks {
                try insertDelivery.execute(arguments: [key, sink, receivedAt, receivedAt])
            }
            return .stored
        }
    }
}
