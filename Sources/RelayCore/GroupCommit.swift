import Logging
import Synchronization

/// Counters of a spool's append path since it was opened, for metrics and for judging group commit.
public struct AppendStatistics: Sendable, Equatable {
    /// Appends that committed, stored or duplicate.
    public var appends = 0
    /// Appends that found their message id already held.
    public var duplicates = 0
    /// Appends that failed because their transaction did not commit.
    public var failures = 0
    /// Append transactions committed; with group commit, fewer than ``appends``.
    public var commits = 0

    /// Creates zeroed counters.
    public init() {}

    mutating func record(_ outcomes: [Result<SpoolAppendResult, SpoolError>], committed: Bool) {
        if committed { commits += 1 }
        for outcome in outcomes {
            switch outcome {
            case .success(.stored): appends += 1
            case .success(.duplicate):
                appends += 1
                duplicates += 1
            case .failure: failures += 1
            }
        }
    }
}

/// Group commit for a ``Spool``: appends that arrive while a transaction runs wait, and the next transaction writes
/// them all.
///
/// There is no writer task to start or stop: the append that finds the writer idle starts a transaction, and each
/// transaction's completion starts the next one while appends are waiting. The spool's `write` runs one batch and
/// reports through its completion, so a caller's cancellation can neither interrupt a batch nor fail the other
/// callers in it.
public final class GroupCommit: Sendable {
    /// The outcome of one append.
    public typealias Outcome = Result<SpoolAppendResult, SpoolError>
    /// Writes one batch in one transaction and calls the completion once, with one result per record in order.
    public typealias Write = @Sendable (
        _ records: [SpoolRecord], _ done: @escaping @Sendable (Result<[SpoolAppendResult], SpoolError>) -> Void
    ) -> Void

    private struct Waiter: Sendable {
        var record: SpoolRecord
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiting: [Waiter] = []
        var writing = false
        var closed = false
        var statistics = AppendStatistics()

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

    private let batchLimit: Int
    private let capacity: Int
    private let closedError: SpoolError
    private let logger: Logger
    private let writeBatch: Write
    private let state = Mutex(State())

    /// Creates a queue.
    ///
    /// - Parameters:
    ///   - batchLimit: The most appends one transaction writes (1: a transaction per append).
    ///   - capacity: How many appends may wait before ``append(_:)`` fails with `full`.
    ///   - closedError: What appends get once the queue is closed.
    ///   - write: Writes one batch.
    public init(batchLimit: Int, capacity: Int, closedError: SpoolError, logger: Logger, write: @escaping Write) {
        self.batchLimit = max(1, batchLimit)
        self.capacity = max(1, capacity)
        self.closedError = closedError
        self.logger = logger
        self.writeBatch = write
    }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// The counters so far.
    public var statistics: AppendStatistics { state.withLock { $0.statistics } }

    /// Appends waiting for the next transaction.
    public var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Whether a transaction is under way.
    public var isWriting: Bool { state.withLock { $0.writing } }

    /// Queues `record` and returns once the transaction holding it committed or failed.
    public func append(_ record: SpoolRecord) async -> Outcome {
        await withCheckedContinuation { continuation in
            let admission = state.withLock { state -> Admission in
                if state.closed { return .rejected(closedError) }
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

    /// Fails every waiting append with the closed error; a batch already being written completes.
    public func close() {
        let abandoned = state.withLock { state -> [Waiter] in
            state.closed = true
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for waiter in abandoned { waiter.continuation.resume(returning: .failure(closedError)) }
    }

    private func write(_ batch: [Waiter]) {
        writeBatch(batch.map(\.record)) { result in self.finish(batch, result) }
    }

    private func finish(_ batch: [Waiter], _ result: Result<[SpoolAppendResult], SpoolError>) {
        let outcomes: [Outcome]
        let committed: Bool
        switch result {
        case .success(let results):
            committed = true
            outcomes = results.map { .success($0) }
            logger.trace("spool batch committed", metadata: ["relay.spool.batch": "\(batch.count)"])
        case .failure(let error):
            committed = false
            let error = isClosed && error.code != .closed ? closedError : error
            logger.error(
                "spool commit failed", metadata: ["relay.spool.batch": "\(batch.count)", "relay.error": "\(error.message)"])
            outcomes = Array(repeating: .failure(error), count: batch.count)
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
}
