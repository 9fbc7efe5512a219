import Foundation
import GRDB
import Logging
import RelayCore
import Synchronization

/// Group commit: appends that arrive while a transaction runs wait, and the next transaction writes them all.
///
/// There is no writer task to start or stop: the append that finds the writer idle starts a transaction, and each
/// transaction's completion starts the next one while appends are waiting. Batches run on GRDB's writer queue with
/// a completion callback, so a caller's cancellation can neither interrupt a batch nor fail the other callers in it.
final class AppendQueue: Sendable {
    typealias Outcome = Result<SpoolAppendResult, SpoolError>

    private struct Waiter: Sendable {
        var record: SpoolRecord
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var writing = false
        var closed = false
        var statistics = SQLiteSpool.Statistics()

        mutating func takeBatch(limit: Int) -> [Waiter] {
            let count = min(limit, waiting.count)
            let batch = Array(waiting.prefix(count))
            waiting.removeFirst(count)
            return batch
        }
    }

    private enum Admission {
        case rejected(SpoolError)
        case queued
        case write([Waiter])
    }

    private let pool: DatabasePool
    private let batchLimit: Int
    private let capacity: Int
    private let errors: SpoolErrors
    private let logger: Logger
    private let state = Mutex(State())

    init(pool: DatabasePool, batchLimit: Int, capacity: Int, errors: SpoolErrors, logger: Logger) {
        self.pool = pool
        self.batchLimit = max(1, batchLimit)
        self.capacity = max(1, capacity)
        self.errors = errors
        self.logger = logger
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    var statistics: SQLiteSpool.Statistics { state.withLock { $0.statistics } }

    var waitingCount: Int { state.withLock { $0.waiting.count } }

    var isWriting: Bool { state.withLock { $0.writing } }

    func append(_ record: SpoolRecord) async -> Outcome {
        await withCheckedContinuation { continuation in
            let admission = state.withLock { state -> Admission in
                if state.closed { return .rejected(errors.closed) }
                if state.waiting.count >= capacity {
                    return .rejected(
                        SpoolError(.full, "more than \(capacity) appends are waiting for the spool; try again later"))
                }
                state.waiting.append(Waiter(record: record, continuation: continuation))
                if state.writing { return .queued }
                state.writing = true
                return .write(state.takeBatch(limit: batchLimit))
            }
            switch admission {
            case .rejected(let error): continuation.resume(returning: .failure(error))
            case .queued: break
            case .write(let batch): write(batch)
            }
        }
    }

    /// Fails every waiting append with ``SpoolError/Code/closed``; a batch already being written completes.
    func close() {
        let abandoned = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for waiter in abandoned { waiter.continuation.resume(returning: .failure(errors.closed)) }
    }

    private func write(_ batch: [Waiter]) {
        let records = batch.map(\.record)
        pool.asyncWriteWithoutTransaction { db in
            do {
                // The sender hears 2xx after this commit: it must reach the disk (dispatcher writes relax this, and
                // the level can only change outside a transaction).
                try db.execute(sql: "PRAGMA synchronous = FULL")
                var results: [SpoolAppendResult] = []
                try db.inTransaction(.immediate) {
                    results = try Self.insert(records, into: db)
                    return .commit
                }
                self.finish(batch, .success(results))
            } catch {
                self.finish(batch, .failure(error))
            }
        }
    }

    private func finish(_ batch: [Waiter], _ result: Result<[SpoolAppendResult], any Error>) {
        let outcomes: [Outcome]
        let committed: Bool
        switch result {
        case .success(let results):
            committed = true
            outcomes = results.map { .success($0) }
            logger.trace("spool batch committed", metadata: ["relay.spool.batch": "\(batch.count)"])
        case .failure(let error):
            committed = false
            let spoolError = errors.storage(error, isClosed: isClosed)
            logger.error(
                "spool commit failed",
                metadata: ["relay.spool.batch": "\(batch.count)", "relay.error": "\(spoolError.message)"])
            outcomes = Array(repeating: .failure(spoolError), count: batch.count)
        }
        let next = state.withLock { state -> [Waiter]? in
            state.statistics.record(outcomes, committed: committed)
            if state.waiting.isEmpty {
                state.writing = false
                return nil
            }
            return state.takeBatch(limit: batchLimit)
        }
        if let next { write(next) }
        for (waiter, outcome) in zip(batch, outcomes) { waiter.continuation.resume(returning: outcome) }
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
