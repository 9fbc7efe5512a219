import EngageEvents
import Foundation
import Logging
import PostgresNIO
import RelayCore

/// The SQL of one events table in PostgreSQL: schema, indexes and the upsert of one event. Identifiers are validated
/// (`[A-Za-z_][A-Za-z0-9_]*`) and always double-quoted, so SQL keywords are fine as names.
struct PostgresTable: Sendable {
    let name: String
    let columns: [ProjectedColumn]

    static func declaredType(_ type: ProjectedColumn.ValueType) -> String {
        switch type {
        case .text: "text"
        case .integer: "bigint"
        case .real: "double precision"
        case .numeric: "numeric"
        }
    }

    private func quoted(_ identifier: String) -> String { "\"\(identifier)\"" }

    /// Creates the table and indexes when missing and adds projected columns it lacks; refuses a table of that name
    /// that is not an events table.
    func create(on connection: PostgresConnection, logger: Logger) async throws {
        let builtIn = [
            "event_id text PRIMARY KEY", "message_id text NOT NULL", "type text NOT NULL", "tenant text",
            "contact_id text", "received_at timestamptz NOT NULL", "payload jsonb", "body text NOT NULL",
        ]
        // Receivers starting together would race on CREATE TABLE IF NOT EXISTS; one at a time per table.
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended('engage-relay sink table ' || \(name), 0))", logger: logger)
        try await connection.query(
            PostgresQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(quoted(name)) (\(builtIn.joined(separator: ", ")))"),
            logger: logger)
        var existing = Set<String>()
        let rows = try await connection.query(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(name)",
            logger: logger)
        for try await column in rows.decode(String.self) { existing.insert(column.lowercased()) }
        let missing = ProjectedColumn.builtInNames.filter { !existing.contains($0) }
        if !missing.isEmpty {
            throw SinkError(
                "table `\(name)` already exists without the column(s) \(missing.joined(separator: ", ")); "
                    + "set `table` to another name")
        }
        for column in columns where !existing.contains(column.name.lowercased()) {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "ALTER TABLE \(quoted(name)) ADD COLUMN \(quoted(column.name)) \(Self.declaredType(column.type))"),
                logger: logger)
        }
        for indexed in ["type", "contact_id"] {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "CREATE INDEX IF NOT EXISTS \(quoted(name + "_" + indexed)) ON \(quoted(name)) (\(indexed))"),
                logger: logger)
        }
    }

    /// The upsert of one event, or nil when its body is not UTF-8 text.
    func upsert(_ event: EngageEvent) -> PostgresQuery? {
        guard let body = String(validating: event.body, as: UTF8.self) else { return nil }
        var binds = PostgresBindings()
        binds.append(event.id)
        binds.append(event.messageId)
        binds.append(event.type.rawValue)
        binds.append(event.tenant)
        binds.append(event.typedPayload.contactId)
        binds.append(event.receivedAt)
        binds.append(ProjectedColumn.compactJSON(event.payload))
        binds.append(body)
        var placeholders = ["$1", "$2", "$3", "$4", "$5", "$6", "$7::jsonb", "$8"]
        for column in columns {
            switch column.value(in: event.payload) {
            case nil: binds.appendNull()
            case .text(let text)?: binds.append(text)
            case .integer(let number)?: binds.append(number)
            case .real(let number)?: binds.append(number)
            case .decimal(let text)?: binds.append(text)
            }
            let cast = column.type == .numeric ? "::numeric" : ""
            placeholders.append("$\(placeholders.count + 1)\(cast)")
        }
        let names = ProjectedColumn.builtInNames + columns.map(\.name)
        let updates = names.dropFirst().map { "\(quoted($0)) = excluded.\(quoted($0))" }.joined(separator: ", ")
        return PostgresQuery(
            unsafeSQL: """
                INSERT INTO \(quoted(name)) (\(names.map(quoted).joined(separator: ", ")))
                VALUES (\(placeholders.joined(separator: ", ")))
                ON CONFLICT (event_id) DO UPDATE SET \(updates)
                """, binds: binds)
    }
}
