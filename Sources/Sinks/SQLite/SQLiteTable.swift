import GRDB
import RelayCore

/// The SQL of one events table: its schema, indexes and the upsert that stores an event.
///
/// Identifiers are validated (`[A-Za-z_][A-Za-z0-9_]*`) and always double-quoted, so SQL keywords are fine as names.
struct SQLiteTable: Sendable {
    /// The table name.
    let name: String
    /// The projected columns, after the built-in ones.
    let columns: [SQLiteColumn]

    /// `CREATE TABLE IF NOT EXISTS` with the built-in and projected columns.
    var createTable: String {
        let builtIn = [
            "event_id TEXT PRIMARY KEY NOT NULL",
            "message_id TEXT NOT NULL",
            "type TEXT NOT NULL",
            "tenant TEXT",
            "contact_id TEXT",
            "received_at TEXT NOT NULL",
            "payload TEXT",
            "body TEXT NOT NULL",
        ]
        let projected = columns.map { "\(quoted($0.name)) \($0.type.declaredType)" }
        return "CREATE TABLE IF NOT EXISTS \(quoted(name)) (\((builtIn + projected).joined(separator: ", ")))"
    }

    /// The indexes on `type` and `contact_id`.
    var createIndexes: [String] {
        ["type", "contact_id"].map {
            "CREATE INDEX IF NOT EXISTS \(quoted(name + "_" + $0)) ON \(quoted(name)) (\($0))"
        }
    }

    /// `ALTER TABLE … ADD COLUMN` for a projected column added to the config after the table was created.
    func addColumn(_ column: SQLiteColumn) -> String {
        "ALTER TABLE \(quoted(name)) ADD COLUMN \(quoted(column.name)) \(column.type.declaredType)"
    }

    /// Inserts an event, or replaces every other column of the row with the same `event_id`.
    var upsert: String {
        let names = SQLiteColumn.builtInNames + columns.map(\.name)
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let updates = names.dropFirst().map { "\(quoted($0)) = excluded.\(quoted($0))" }.joined(separator: ", ")
        return """
            INSERT INTO \(quoted(name)) (\(names.map(quoted).joined(separator: ", "))) VALUES (\(placeholders)) \
            ON CONFLICT(event_id) DO UPDATE SET \(updates)
            """
    }

    /// Creates the table and indexes when missing and adds projected columns the table lacks; throws when an
    /// existing table of that name is not an events table.
    func create(in db: Database) throws {
        try db.execute(sql: createTable)
        let existing = Set(try db.columns(in: name).map { $0.name.lowercased() })
        let missing = SQLiteColumn.builtInNames.filter { !existing.contains($0) }
        if !missing.isEmpty {
            throw SinkError(
                "table `\(name)` already exists without the column(s) \(missing.joined(separator: ", ")); "
                    + "set `table` to another name")
        }
        for column in columns where !existing.contains(column.name.lowercased()) {
            try db.execute(sql: addColumn(column))
        }
        for sql in createIndexes { try db.execute(sql: sql) }
    }

    private func quoted(_ identifier: String) -> String { "\"\(identifier)\"" }
}
