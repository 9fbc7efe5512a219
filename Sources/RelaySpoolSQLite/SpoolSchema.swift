import GRDB

/// The spool's tables; every change of schema is a new migration appended here, never an edit of an old one.
enum SpoolSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        key INTEGER PRIMARY KEY AUTOINCREMENT,
                        message_id TEXT NOT NULL UNIQUE,
                        event_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        tenant TEXT,
                        received_at REAL NOT NULL,
                        body BLOB NOT NULL,
                        state TEXT NOT NULL,
                        reason TEXT
                    );
                    CREATE INDEX events_by_event_id ON events(event_id);
                    CREATE INDEX events_by_type ON events(type);
                    CREATE INDEX events_by_received_at ON events(received_at);
                    CREATE TABLE deliveries (
                        event_key INTEGER NOT NULL REFERENCES events(key) ON DELETE CASCADE,
                        sink TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL NOT NULL,
                        last_error TEXT,
                        updated_at REAL NOT NULL,
                        PRIMARY KEY (event_key, sink)
                    );
                    CREATE INDEX deliveries_for_claim ON deliveries(sink, state, next_attempt_at, event_key);
                    PRAGMA user_version = 1;
                    """
            )
        }
        migrator.registerMigration("v2-claim-in-receipt-order") { db in
            // Claims walk a sink's pending deliveries in receipt order and stop at `limit`; with only the
            // due-time index, each claim sorted the whole backlog, so a sink that fell behind claimed ever slower.
            try db.execute(sql: "CREATE INDEX deliveries_in_order ON deliveries(sink, state, event_key)")
        }
        migrator.registerMigration("v3-leases") { db in
            // A claim holds its deliveries under a lease; rows left in flight by an older version have none, which
            // reads as expired, so they are claimable again without a start-up reset.
            try db.execute(
                sql: """
                    ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
                    ALTER TABLE deliveries ADD COLUMN lease_token TEXT;
                    ALTER TABLE deliveries ADD COLUMN lease_until REAL;
                    """
            )
        }
        return migrator
    }()
}
