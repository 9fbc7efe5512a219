import Foundation
import GRDB
import Logging
import RelayCore

/// The embedded default ``Spool``: one SQLite database in WAL mode with `synchronous = FULL`, shared safely by the
/// server and the command line, with concurrent appends grouped into one transaction (one `fsync`) per batch.
public final class SQLiteSpool: Spool {
    /// The most appends one transaction writes; later ones wait for the next transaction.
    static let batchLimit = 1_000

    let pool: DatabasePool
    private let appends: GroupCommit
    private let errors: SpoolErrors
    let logger: Logger

    /// Opens the spool at `path`, creating the file, its parent folders and the schema as needed.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - commitMode: How appends map to transactions.
    ///   - maxQueuedAppends: How many appends may wait for a commit before ``append(_:)`` fails with `full`.
    ///   - maxSize: The largest the database file may grow, in bytes; beyond it appends fail (ingest answers 503).
    ///   - logger: Where the spool logs; nothing above `debug` while all is well.
    /// - Throws: ``SpoolError/Code/cannotOpen`` naming the path and the reason.
    public convenience init(
        path: String, commitMode: CommitMode = .grouped, maxQueuedAppends: Int = 10_000, maxSize: Int64? = nil,
        logger: Logger
    ) throws(SpoolError) {
        try self.init(
            path: path, commitMode: commitMode, maxQueuedAppends: maxQueuedAppends, busyTimeout: 5, maxSize: maxSize,
            logger: logger)
    }

    /// Opens the spool, waiting up to `busyTimeout` seconds for another process's write lock before failing.
    init(
        path: String, commitMode: CommitMode, maxQueuedAppends: Int, busyTimeout: TimeInterval, maxSize: Int64? = nil,
        logger: Logger
    ) throws(SpoolError) {
        let errors = SpoolErrors(path: path)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw errors.cannotOpen(Self.describe(error, creating: folder))
        }
        var configuration = Configuration()
        configuration.label = "engage-relay.spool"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets `synchronous = NORMAL` after opening a WAL pool; a commit must reach the disk before the
            // sender hears 2xx, so the writer connection goes back to FULL.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try pool.write { db in
                if try SpoolSchema.migrator.hasBeenSuperseded(db) {
                    throw errors.cannotOpen("it was written by a newer version of engage-relay")
                }
            }
            try SpoolSchema.migrator.migrate(pool)
            if let maxSize {
                // A size cap is the disk-full case made deliberate: SQLite refuses to grow past it.
                try pool.writeWithoutTransaction { db in
                    let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
                    _ = try Int64.fetchOne(db, sql: "PRAGMA max_page_count = \(max(1, maxSize / pageSize))")
                }
            }
        } catch let error as SpoolError {
            throw error
        } catch {
            throw errors.cannotOpen(SpoolErrors.reason(error))
        }
        self.pool = pool
        self.errors = errors
        self.logger = logger
        self.appends = AppendQueue.make(
            pool: pool, batchLimit: commitMode == .grouped ? Self.batchLimit : 1, capacity: maxQueuedAppends,
            errors: errors, logger: logger)
        logger.debug(
            "spool opened", metadata: ["relay.spool.path": "\(path)", "relay.spool.commit": "\(commitMode.rawValue)"])
    }

    /// Counters of the append path since the spool was opened.
    public var statistics: Statistics { appends.statistics }

    /// Appends waiting for the next transaction.
    var waitingAppends: Int { appends.waitingCount }

    /// Whether an append transaction is under way.
    var isCommitting: Bool { appends.isWriting }

    /// Stores the record and its pending deliveries; returns once the transaction holding them committed.
    public func append(_ record: SpoolRecord) async throws(SpoolError) -> SpoolAppendResult {
        try await appends.append(record).get()
    }

    /// Takes and releases the write lock (`BEGIN IMMEDIATE; ROLLBACK`), so a locked, read-only or closed database
    /// shows as not writable.
    public func checkWritable() async throws(SpoolError) {
        guard !appends.isClosed else { throw errors.closed }
        do {
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
        } catch {
            throw errors.storage(error, isClosed: appends.isClosed)
        }
    }

    /// Fails waiting appends with `closed`, lets a transaction in progress finish, then closes the database.
    public func close() async throws(SpoolError) {
        guard !appends.isClosed else { return }
        appends.close()
        do {
            // Waits, without blocking a thread, for the batch being written; closing then only finalizes.
            try await pool.writeWithoutTransaction { _ in }
            try pool.close()
        } catch {
            throw SpoolError(.storageFailed, "spool `\(errors.path)`: cannot close: \(SpoolErrors.reason(error))")
        }
        logger.debug("spool closed", metadata: ["relay.spool.path": "\(errors.path)"])
    }

    /// Runs `updates` in one write transaction, turning every failure into a ``SpoolError``.
    func write<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws(SpoolError) -> T {
        guard !appends.isClosed else { throw errors.closed }
        do {
            return try await pool.write(updates)
        } catch {
            throw errors.storage(error, isClosed: appends.isClosed)
        }
    }

    /// Runs `updates` in one write transaction that commits without waiting for the disk (`synchronous = NORMAL`;
    /// the next append's FULL commit syncs it too). For the dispatcher's claims and outcomes only: WAL keeps them
    /// across a process crash, and losing one to a power cut only means a delivery is made again (at-least-once).
    /// Appends, which a 2xx acknowledges, always commit FULL.
    func writeRelaxed<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws(SpoolError) -> T {
        guard !appends.isClosed else { throw errors.closed }
        do {
            return try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try updates(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw errors.storage(error, isClosed: appends.isClosed)
        }
    }

    /// Runs `value` on a read connection, turning every failure into a ``SpoolError``.
    func read<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws(SpoolError) -> T {
        guard !appends.isClosed else { throw errors.closed }
        do {
            return try await pool.read(value)
        } catch {
            throw errors.storage(error, isClosed: appends.isClosed)
        }
    }

    /// Why `folder` could not be created, naming a file that stands where a folder must be.
    private static func describe(_ error: any Error, creating folder: String) -> String {
        var ancestor = URL(fileURLWithPath: folder)
        while ancestor.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &isFolder) {
                if !isFolder.boolValue { return "`\(ancestor.path)` is a file, not a folder" }
                break
            }
            ancestor.deleteLastPathComponent()
        }
        return "cannot create folder `\(folder)`: \(error.localizedDescription)"
    }
}
