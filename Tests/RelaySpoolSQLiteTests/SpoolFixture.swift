import Foundation
import GRDB
import Logging
import RelayCore
import Testing

@testable import RelaySpoolSQLite

/// A spool in a fresh temporary folder, with helpers to fill it; the folder is removed by ``remove()``.
struct SpoolFixture {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let silent = Logger(label: "spool-tests") { _ in SwiftLogNoOpLogHandler() }

    let folder: String
    var path: String { folder + "/spool.db" }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("relay-spool-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func open(
        _ mode: SQLiteSpool.CommitMode = .grouped, maxQueuedAppends: Int = 10_000, busyTimeout: TimeInterval = 60
    ) throws -> SQLiteSpool {
        try SQLiteSpool(
            path: path, commitMode: mode, maxQueuedAppends: maxQueuedAppends, busyTimeout: busyTimeout,
            logger: Self.silent)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Holds the database's write lock from a second connection, as another process would, until `release()`.
    func lockWriter() throws -> WriteLock {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
        return WriteLock(queue: queue)
    }

    struct WriteLock {
        let queue: DatabaseQueue

        func release() throws {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            try queue.close()
        }
    }

    static func record(
        _ id: String, sinks: [String] = ["a", "b"], state: StoredEventState = .routed, type: String = "contact.created",
        at receivedAt: Date = t0, reason: String? = nil
    ) -> SpoolRecord {
        SpoolRecord(
            messageId: "msg_\(id)", eventId: "evt_\(id)", type: type, tenant: "se", receivedAt: receivedAt,
            body: Array(#"{"id":"evt_\#(id)"}"#.utf8), sinks: sinks, state: state, reason: reason)
    }
}

/// Waits, polling, until `condition` holds; fails the test after `timeout`.
func eventually(
    timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        guard clock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

extension Spool {
    /// Claims under a five-minute lease held by the test.
    func claim(sink: String, limit: Int, now: Date) async throws(SpoolError) -> [ClaimedDelivery] {
        try await claim(sink: sink, limit: limit, lease: LeaseTerms(owner: "test", duration: .seconds(300)), now: now)
    }
}

extension SQLiteSpool {
    /// Appends every record concurrently; results in the order of `records`.
    func appendConcurrently(_ records: [SpoolRecord]) async -> [Result<SpoolAppendResult, SpoolError>] {
        await withTaskGroup(of: (Int, Result<SpoolAppendResult, SpoolError>).self) { group in
            for (index, record) in records.enumerated() {
                group.addTask {
                    do throws(SpoolError) {
                        return (index, .success(try await self.append(record)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<SpoolAppendResult, SpoolError>?](repeating: nil, count: records.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }
}

extension Result where Failure == SpoolError {
    var errorCode: SpoolError.Code? {
        if case .failure(let error) = self { error.code } else { nil }
    }
}
