import Foundation
import Logging
import PostgresNIO
import RelayCore
import Synchronization

/// A ``Spool`` in PostgreSQL that several receivers share: group commit through multi-row inserts, claims with
/// `FOR UPDATE SKIP LOCKED` under leases, wake-ups through `LISTEN/NOTIFY`, and migrations under an advisory lock.
///
/// Every call is bounded by ``Settings/operationTimeout``: with the server down, appends fail (ingest answers 503)
/// instead of waiting, and the pool reconnects on its own once the server is back.
public final class PostgresSpool: Spool {
    /// How to reach the database and how hard to use it.
    public struct Settings: Sendable {
        /// The server and database.
        public var url: PostgresURL
        /// The most connections this process opens (one more is kept for `LISTEN`).
        public var connections: Int
        /// The most appends one transaction writes (1: a transaction per request).
        public var batchLimit: Int
        /// How many appends may wait for a commit before ``append(_:)`` fails with `full`.
        public var maxQueuedAppends: Int
        /// How long one call may take before it fails with `storage_failed` (appends: at most 5 s).
        public var operationTimeout: Duration
        /// Who this process is, as `application_name` on its connections.
        public var instance: String

        /// Creates settings with the defaults: 10 connections, batches of up to 1,000, 10,000 waiting, 10 s.
        public init(
            url: PostgresURL, connections: Int = 10, batchLimit: Int = 1_000, maxQueuedAppends: Int = 10_000,
            operationTimeout: Duration = .seconds(10), instance: String = "engage-relay"
        ) {
            self.url = url
            self.connections = connections
            self.batchLimit = batchLimit
            self.maxQueuedAppends = maxQueuedAppends
            self.operationTimeout = operationTimeout
            self.instance = instance
        }
    }

    /// The channel `NOTIFY` wakes the dispatchers of every receiver on, with a comma-separated list of sinks.
    static let channel = "engage_relay_due"

    let client: PostgresClient
    let settings: Settings
    let logger: Logger
    let name: String
    private let running: Task<Void, Never>
    private let appends: GroupCommit
    private let wakeups: DueWakeups

    private init(settings: Settings, client: PostgresClient, running: Task<Void, Never>, logger: Logger) {
        self.settings = settings
        self.client = client
        self.running = running
        self.logger = logger
        let name = "\(settings.url.host ?? settings.url.socketFolder ?? ""):\(settings.url.port)/\(settings.url.database)"
        self.name = name
        let wakeups = DueWakeups(url: settings.url, client: client, channel: Self.channel, logger: logger)
        let outage = Outage()
        self.wakeups = wakeups
        self.appends = GroupCommit(
            batchLimit: settings.batchLimit, capacity: settings.maxQueuedAppends,
            closedError: SpoolError(.closed, "the PostgreSQL spool `\(name)` is closed"), logger: logger
        ) { records, done in
            Task {
                // With the server away, a batch fails at once while another batch probes it (one at a time, each
                // given up to 5 s), so senders hear 503 quickly instead of queueing behind probes.
                if let since = outage.failing(), ContinuousClock.now - since < .seconds(1) {
                    done(.failure(SpoolError(.storageFailed, "PostgreSQL spool `\(name)`: the server was unreachable just now")))
                    return
                }
                let result = await Self.insert(
                    records, client: client, name: name, timeout: min(settings.operationTimeout, .seconds(5)))
                outage.record(result)
                if case .success(let outcomes) = result {
                    var sinks = Set<String>()
                    for (record, outcome) in zip(records, outcomes) where outcome == .stored {
                        sinks.formUnion(record.sinks)
                    }
                    wakeups.announce(sinks)
                }
                done(result)
            }
        }
    }

    /// Connects, brings the schema up to date (one receiver at a time, under an advisory lock) and starts listening
    /// for other receivers' new deliveries.
    ///
    /// - Throws: ``SpoolError/Code/cannotOpen`` with the server's reason (unreachable, authentication, a schema
    ///   written by a newer version).
    public static func open(_ settings: Settings, logger: Logger) async throws(SpoolError) -> PostgresSpool {
        // The pool logs every failed connection attempt at `info`; the spool reports what matters itself.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(
            configuration: PostgresConnector.configuration(
                settings.url, connections: settings.connections, applicationName: settings.instance),
            backgroundLogger: background)
        let running = Task { await client.run() }
        let spool = PostgresSpool(settings: settings, client: client, running: running, logger: logger)
        do {
            try await spool.bounded { client in _ = try await client.query("SELECT 1", logger: logger) }
            // Another receiver may hold the migration lock while it migrates a large database.
            try await spool.bounded(.seconds(600)) { client in
                try await PostgresSchema.migrate(client, logger: logger)
            }
        } catch {
            running.cancel()
            throw SpoolError(.cannotOpen, "cannot open the PostgreSQL spool `\(spool.name)`: \(error.message)")
        }
        spool.wakeups.start()
        logger.debug("spool opened", metadata: ["relay.spool.url": "\(settings.url)"])
        return spool
    }

    /// Counters of the append path since the spool was opened.
    public var statistics: AppendStatistics { appends.statistics }

    /// Stores the record and its pending deliveries; returns once the transaction holding them committed.
    public func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult {
        try await appends.append(record).get()
    }

    /// Sinks with new deliveries, announced by any receiver on this database (this one included) after its commit.
    public func dueNotifications() -> AsyncStream<String>? { wakeups.subscribe() }

    /// Fails unless the server answers a write-capable transaction now (not a read-only standby).
    public func checkWritable() async throws(SpoolError) {
        guard !appends.isClosed else { throw closedError }
        let readOnly = try await bounded(.seconds(2)) { client in
            let rows = try await client.query("SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'")
            for try await value in rows.decode(Bool.self) { return value }
            return true
        }
        if readOnly { throw SpoolError(.storageFailed, "the PostgreSQL spool `\(name)` is read-only (a standby?)") }
    }

    /// Fails waiting appends, lets a batch being written finish, stops listening and closes the connections.
    public func close() async throws(SpoolError) {
        guard !appends.isClosed else { return }
        appends.close()
        let deadline = ContinuousClock.now + .seconds(5)
        while appends.isWriting && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        wakeups.stop()
        running.cancel()
        logger.debug("spool closed", metadata: ["relay.spool.url": "\(settings.url)"])
    }

    var closedError: SpoolError { SpoolError(.closed, "the PostgreSQL spool `\(name)` is closed") }

    /// Runs `operation` with a pooled client within `timeout` (the operation timeout by default), turning every
    /// failure into a ``SpoolError``. On timeout the operation is cancelled and left to end on its own.
    func bounded<T: Sendable>(
        _ timeout: Duration? = nil, _ operation: @escaping @Sendable (PostgresClient) async throws -> T
    ) async throws(SpoolError) -> T {
        guard !appends.isClosed else { throw closedError }
        let result = await Self.bounded(
            client: client, name: name, timeout: timeout ?? settings.operationTimeout, operation)
        return try result.get()
    }

    static func bounded<T: Sendable>(
        client: PostgresClient, name: String, timeout: Duration,
        _ operation: @escaping @Sendable (PostgresClient) async throws -> T
    ) async -> Result<T, SpoolError> {
        let outcome = await within(timeout) { () -> Result<T, SpoolError> in
            do {
                return .success(try await operation(client))
            } catch let error as SpoolError {
                return .failure(error)
            } catch {
                return .failure(SpoolError(.storageFailed, "PostgreSQL spool `\(name)`: \(PostgresConnector.reason(error))"))
            }
        }
        if outcome == nil && Task.isCancelled {
            return .failure(SpoolError(.closed, "PostgreSQL spool `\(name)`: the operation was cancelled (shutting down)"))
        }
        return outcome
            ?? .failure(
                SpoolError(
                    .storageFailed,
                    "PostgreSQL spool `\(name)`: no answer within \(timeout) (is the server up and reachable?)"))
    }

    /// Runs `body` in one transaction on a pooled connection.
    func transaction<T: Sendable>(
        _ timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(SpoolError) -> T {
        let logger = self.logger
        return try await bounded(timeout) { client in
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }
}

/// When appends last found the server unreachable (a failed commit), until one succeeds again.
final class Outage: Sendable {
    private let since = Mutex<ContinuousClock.Instant?>(nil)

    /// When the last failed batch failed, if the latest batch failed.
    func failing() -> ContinuousClock.Instant? { since.withLock { $0 } }

    func record(_ result: Result<[SpoolAppendResult], SpoolError>) {
        since.withLock { since in
            switch result {
            case .success: since = nil
            case .failure: since = ContinuousClock.now
            }
        }
    }
}
