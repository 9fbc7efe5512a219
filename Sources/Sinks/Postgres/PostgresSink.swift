import EngageEvents
import Foundation
import Logging
import PostgresNIO
import RelayCore
import RelaySpoolPostgres
import Synchronization

/// Stores each event as one row of a PostgreSQL table of the user's, upserted on the event id so a re-delivery never
/// duplicates it: the `sqlite` sink's columns and `column` projections, on the spool's connection code.
///
/// Every row has `event_id` (primary key), `message_id`, `type`, `tenant`, `contact_id`, `received_at`
/// (`timestamptz`), `payload` (`jsonb`) and `body` (the original JSON text), then one column per `column` line
/// (`text`, `bigint`, `double precision` or `numeric`). A batch is one transaction; an event the database refuses as
/// data (a body with a NUL character, say) fails alone, behind a savepoint, and any other error fails the batch
/// (thrown, so the engine retries it).
public final class PostgresSink: Sink {
    /// Registered as `postgres`.
    public static let kind = "postgres"
    /// One line for listings.
    public static let summary = "upsert one row per event into a PostgreSQL table (jsonb payload, projected columns)"

    enum Key {
        static let url = SinkOptionKey.secret(
            "url", required: true,
            doc: "postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]; `env:` or `file:` keeps the password out",
            check: { value in
                guard case .secret(_, let text) = value, !text.isEmpty else { return nil }
                do throws(PostgresURLError) {
                    _ = try PostgresURL(text)
                    return nil
                } catch {
                    return error.description
                }
            })
        static let pool = SinkOptionKey.integer("pool", 1...100, default: "2", doc: "connections to the database")
        static let timeout = SinkOptionKey.duration(
            "timeout", default: "30s", in: .seconds(1)...(.seconds(3600)),
            doc: "how long a batch may wait for the database before it fails (and is retried)")
    }

    /// The options of a `postgres` block.
    public static let options: [SinkOption] = [
        Key.url.option, TableSinkOptions.table.option, TableSinkOptions.column.option, Key.pool.option,
        Key.timeout.option,
    ]

    /// Up to 100 events per transaction.
    public static let defaultBatchSize = 100

    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let table: PostgresTable
    private let logger: Logger
    private let name: String
    private let timeout: Duration
    private let prepared = Mutex(false)

    /// Validates the options and starts the connection pool; the table, its indexes and any projected column it lacks
    /// are created by the first batch (a database that is down then fails that batch, which the engine retries).
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        let name = configuration.name
        let options = configuration.options
        let text = try options.required(Key.url, sink: name)
        let url: PostgresURL
        do {
            url = try PostgresURL(text)
        } catch {
            throw SinkError("sink `\(name)`: `url` \(error)")
        }
        let (tableName, columns) = try TableSinkOptions.read(options, sink: name)
        var background = context.logger
        background.logLevel = max(context.logger.logLevel, .warning)
        let client = PostgresClient(
            configuration: PostgresConnector.configuration(
                url, connections: options[Key.pool] ?? 2, applicationName: "engage-relay sink \(name)"),
            backgroundLogger: background)
        self.running = Task { await client.run() }
        self.table = PostgresTable(name: tableName, columns: columns)
        self.client = client
        self.timeout = options[Key.timeout] ?? .seconds(30)
        self.logger = context.logger
        self.name = name
    }

    /// Upserts the batch in one transaction, each event behind a savepoint.
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        let table = self.table
        let logger = self.logger
        do {
            let outcomes = try await Self.bounded(timeout) {
                try await self.client.withTransaction(logger: logger) { connection in
                    if !self.prepared.withLock({ $0 }) {
                        try await table.create(on: connection, logger: logger)
                    }
                    var outcomes: [DeliveryOutcome] = []
                    for event in batch {
                        guard let query = table.upsert(event) else {
                            outcomes.append(.failed(reason: "the event body is not UTF-8 text, so it cannot be stored as JSON text"))
                            continue
                        }
                        try await connection.query("SAVEPOINT event", logger: logger)
                        do {
                            try await connection.query(query, logger: logger)
                            try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                            outcomes.append(.delivered)
                        } catch where PostgresConnector.sqlState(error)?.hasPrefix("22") == true {
                            // Class 22, data exception: this event's data, not the database, is the problem.
                            try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                            outcomes.append(.failed(reason: "PostgreSQL refused the event: \(PostgresConnector.reason(error))"))
                        }
                    }
                    return outcomes
                }
            }
            prepared.withLock { $0 = true }
            return outcomes
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError("sink `\(name)`: \(PostgresConnector.reason(error))")
        }
    }

    /// Closes the connections.
    public func close() async throws {
        running.cancel()
    }

    /// Runs `operation`, failing after `timeout` instead of waiting for a server that went away.
    static func bounded<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T)
        async throws -> T
    {
        let result = await within(timeout) { () -> Result<T, any Error> in
            do { return .success(try await operation()) } catch { return .failure(error) }
        }
        guard let result else { throw SinkError("PostgreSQL did not answer within \(timeout)") }
        return try result.get()
    }
}
