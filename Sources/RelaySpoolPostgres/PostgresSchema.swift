import Logging
import PostgresNIO
import RelayCore

/// The spool's tables in PostgreSQL. Every change of schema is a new migration appended here, never an edit of an old
/// one; receivers starting together take turns under an advisory lock, and a database migrated by a newer version is
/// refused rather than written with an older idea of it.
enum PostgresSchema {
    /// `pg_advisory_lock` key of migrations (any constant: the tables are the spool's own).
    static let migrationLock: Int64 = 0x656e_6761_6765_0001

    static let migrations: [(version: Int, name: String, statements: [String])] = [
        (
            1, "tables",
            [
                // Events are written once; bodies live apart so that the rows claims and listings read stay narrow.
                """
                CREATE TABLE relay_events (
                    key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    message_id text NOT NULL UNIQUE,
                    event_id text NOT NULL,
                    type text NOT NULL,
                    tenant text,
                    received_at double precision NOT NULL,
                    state text NOT NULL,
                    reason text
                )
                """,
                "CREATE INDEX relay_events_by_event_id ON relay_events (event_id)",
                "CREATE INDEX relay_events_by_received_at ON relay_events (received_at)",
                """
                CREATE TABLE relay_event_bodies (
                    event_key bigint PRIMARY KEY REFERENCES relay_events (key) ON DELETE CASCADE,
                    body bytea NOT NULL
                )
                """,
                """
                CREATE TABLE relay_deliveries (
                    event_key bigint NOT NULL REFERENCES relay_events (key) ON DELETE CASCADE,
                    sink text NOT NULL,
                    state text NOT NULL,
                    attempts integer NOT NULL DEFAULT 0,
                    next_attempt_at double precision NOT NULL,
                    last_error text,
                    updated_at double precision NOT NULL,
                    lease_owner text,
                    lease_token text,
                    lease_until double precision,
                    PRIMARY KEY (event_key, sink)
                )
                """,
                // Partial indexes hold only the rows claims look at, so a large delivered history costs claims
                // nothing: the head of a sink's pending rows in receipt order, the same by due time (for a
                // backlog waiting out its backoff), and in-flight rows by lease expiry and by token.
                "CREATE INDEX relay_deliveries_pending ON relay_deliveries (sink, event_key) WHERE state = 'pending'",
                """
                CREATE INDEX relay_deliveries_pending_due ON relay_deliveries (sink, next_attempt_at)
                    WHERE state = 'pending'
                """,
                """
                CREATE INDEX relay_deliveries_in_flight ON relay_deliveries (sink, lease_until)
                    WHERE state = 'in-flight'
                """,
                "CREATE INDEX relay_deliveries_by_lease ON relay_deliveries (lease_token) WHERE state = 'in-flight'",
                "CREATE INDEX relay_deliveries_failed ON relay_deliveries (sink, event_key) WHERE state = 'failed'",
            ]
        ),
        (
            2, "delivered-counts",
            [
                // Delivered rows are most of the table; the gauges read their count from here, kept in step by every
                // statement that makes or removes a delivered row, instead of counting them every few seconds.
                "CREATE TABLE relay_delivered_counts (sink text PRIMARY KEY, count bigint NOT NULL)",
                """
                INSERT INTO relay_delivered_counts (sink, count)
                    SELECT sink, count(*) FROM relay_deliveries WHERE state = 'delivered' GROUP BY sink
                """,
            ]
        ),
    ]

    /// Applies the migrations this version knows and the database lacks, each in its own transaction, holding the
    /// advisory lock throughout.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS relay_schema_migrations (
                        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, logger: logger)
                var current = 0
                for try await version in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM relay_schema_migrations", logger: logger
                ).decode(Int.self) {
                    current = version
                }
                let known = migrations.last?.version ?? 0
                if current > known {
                    throw SpoolError(
                        .cannotOpen,
                        "its schema is version \(current), written by a newer version of engage-relay (this one knows \(known))")
                }
                for migration in migrations where migration.version > current {
                    try await connection.withTransaction(logger: logger) { connection in
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query(
                            "INSERT INTO relay_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger)
                    }
                    logger.info(
                        "spool schema migrated", metadata: ["relay.spool.schema": "\(migration.version) \(migration.name)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }
}
