import EngageEvents
import Foundation
import GRDB
import RelayCore

/// Stores each event as one row of a SQLite table, upserted on the event id so a re-delivery never duplicates it.
///
/// The database is opened in WAL mode with `synchronous = FULL`, so other processes can read while the sink writes
/// and a delivery counts only once it is on disk. Every row has `event_id` (primary key), `message_id`, `type`,
/// `tenant`, `contact_id`, `received_at` (ISO 8601 UTC text with milliseconds, `2024-05-01T12:34:56.789Z`: it sorts
/// as text and SQLite's date functions read it), `payload` (compact JSON) and `body` (the original JSON text), then
/// one column per `column` line. A batch is one transaction.
public final class SQLiteSink: Sink {
    /// Registered as `sqlite`.
    public static let kind = "sqlite"
    /// One line for listings.
    public static let summary = "upsert one row per event into a SQLite table (WAL, readable while running)"
    /// The options of a `sqlite` block, as typed keys.
    enum Key {
        static let path = SinkOptionKey.path(
            "path", required: true, doc: "database file; created with its parent folders if missing")
    }

    /// The options of a `sqlite` block.
    public static let options: [SinkOption] = [
        Key.path.option, TableSinkOptions.table.option, TableSinkOptions.column.option,
    ]

    /// Up to 100 events per transaction.
    public static let defaultBatchSize = 100

    /// How long a write waits for another process's lock before the batch fails (and the engine retries it).
    static let busyTimeout: TimeInterval = 5

    private let database: DatabaseQueue
    private let table: SQLiteTable
    private let upsert: String

    /// Validates the options, opens (creating if needed) the database and creates the table, indexes and any
    /// projected column the table lacks.
    public init(configuration: SinkConfiguration, context: SinkContext) throws {
        let name = configuration.name
        let options = configuration.options
        let path = try options.required(Key.path, sink: name)
        let (tableName, columns) = try TableSinkOptions.read(options, sink: name)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SinkError("sink `\(name)`: cannot create folder `\(folder)`: \(error.localizedDescription)")
            }
        }
        var settings = Configuration()
        settings.journalMode = .wal
        settings.busyMode = .timeout(SQLiteSink.busyTimeout)
        settings.label = "sqlite-sink-\(name)"
        let table = SQLiteTable(name: tableName, columns: columns)
        do {
            database = try DatabaseQueue(path: path, configuration: settings)
            // GRDB picks `synchronous = NORMAL` for WAL; an acknowledged delivery must survive a power cut.
            try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try database.write { db in try table.create(in: db) }
        } catch let error as SinkError {
            throw SinkError("sink `\(name)`: \(error.message)")
        } catch {
            throw SinkError("sink `\(name)`: cannot open SQLite database `\(path)`: \(error)")
        }
        self.table = table
        self.upsert = table.upsert
    }

    /// Upserts the batch in one transaction; an event whose body is not UTF-8 text fails alone, any database error
    /// fails the batch (thrown, so the engine retries it).
    public func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] {
        let table = self.table
        let upsert = self.upsert
        return try await database.write { db in
            let statement = try db.cachedStatement(sql: upsert)
            return try batch.map { event in
                guard let arguments = SQLiteSink.arguments(for: event, columns: table.columns) else {
                    return .failed(reason: "the event body is not UTF-8 text, so it cannot be stored as JSON text")
                }
                try statement.execute(arguments: arguments)
                return .delivered
            }
        }
    }

    /// Closes the database.
    public func close() async throws {
        try database.close()
    }

    /// The statement arguments for one event, in the upsert's column order; `nil` when the body is not UTF-8.
    static func arguments(for event: EngageEvent, columns: [SQLiteColumn]) -> StatementArguments? {
        guard let body = String(validating: event.body, as: UTF8.self) else { return nil }
        var values: [DatabaseValue] = [
            event.id.databaseValue,
            event.messageId.databaseValue,
            event.type.rawValue.databaseValue,
            event.tenant.databaseValue,
            event.typedPayload.contactId.databaseValue,
            event.receivedAt.formatted(timestampStyle).databaseValue,
            SQLiteColumn.compactJSON(event.payload).databaseValue,
            body.databaseValue,
        ]
        values.reserveCapacity(values.count + columns.count)
        for column in columns { values.append(column.databaseValue(in: event.payload)) }
        return StatementArguments(values)
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
