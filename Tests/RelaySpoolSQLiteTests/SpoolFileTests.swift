import Foundation
import GRDB
import RelayCore
import Testing

@testable import RelaySpoolSQLite

@Suite("The spool file")
struct SpoolFileTests {
    static let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test("a path under a regular file cannot be opened, and the error names the path")
    func unwritablePath() throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let file = fixture.folder + "/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let path = file + "/spool.db"

        let error = #expect(throws: SpoolError.self) {
            try SQLiteSpool(path: path, logger: SpoolFixture.silent)
        }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message == "cannot open spool `\(path)`: `\(file)` is a file, not a folder")
    }

    @Test("a file that is not a database cannot be opened")
    func notADatabase() throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        try Data(repeating: 0x41, count: 4_096).write(to: URL(fileURLWithPath: fixture.path))

        let error = #expect(throws: SpoolError.self) { try fixture.open() }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains("not a database") == true)
    }

    @Test("a spool written by a newer schema is refused rather than misread")
    func newerSchema() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        try await fixture.open().close()
        let queue = try DatabaseQueue(path: fixture.path)
        try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        try queue.close()

        let error = #expect(throws: SpoolError.self) { try fixture.open() }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains("newer version") == true)
    }

    @Test("missing parent folders are created")
    func createsFolders() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let path = fixture.folder + "/var/lib/engage-relay/spool.db"

        let spool = try SQLiteSpool(path: path, logger: SpoolFixture.silent)
        #expect(try await spool.append(SpoolFixture.record("1")) == .stored)
        try await spool.close()
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("the writer commits with WAL, synchronous FULL and foreign keys")
    func durabilitySettings() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()

        let settings = try await spool.pool.write { db in
            try (
                String.fetchOne(db, sql: "PRAGMA journal_mode"), Int.fetchOne(db, sql: "PRAGMA synchronous"),
                Int.fetchOne(db, sql: "PRAGMA foreign_keys"), Int.fetchOne(db, sql: "PRAGMA user_version")
            )
        }
        #expect(settings.0 == "wal")
        #expect(settings.1 == 2, "2 is FULL")
        #expect(settings.2 == 1)
        #expect(settings.3 == 1)
        try await spool.close()
    }

    @Test("dispatcher writes commit without fsync; every append commits FULL again")
    func appendsAlwaysCommitFull() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        let level = { @Sendable in try await spool.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } }
        _ = try await spool.append(SpoolFixture.record("1"))
        _ = try await spool.claim(sink: "a", limit: 10, now: Date())
        #expect(try await level() == 1, "1 is NORMAL: a claim does not wait for the disk")
        _ = try await spool.append(SpoolFixture.record("2"))
        #expect(try await level() == 2, "2 is FULL: an acknowledged append does")
        try await spool.close()
    }

    @Test("data survives closing and reopening")
    func reopenKeepsData() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        for n in 1...3 { _ = try await spool.append(SpoolFixture.record("\(n)")) }
        try await spool.close()

        let reopened = try fixture.open()
        #expect(try await reopened.events(EventQuery()).map(\.messageId) == ["msg_3", "msg_2", "msg_1"])
        #expect(try await reopened.append(SpoolFixture.record("2")) == .duplicate)
        #expect(try await reopened.append(SpoolFixture.record("4")) == .stored)
        #expect(try await reopened.event("msg_4")?.key ?? 0 > 3, "keys keep growing in receipt order")
        try await reopened.close()
    }

    @Test("the `sqlite3` tool reads what the spool wrote", .enabled(if: sqlite3 != nil, "sqlite3 is not installed"))
    func readableBySQLite3() async throws {
        let fixture = try SpoolFixture()
        defer { fixture.remove() }
        let spool = try fixture.open()
        _ = try await spool.append(SpoolFixture.record("1", at: Date(timeIntervalSince1970: 1_700_000_000.5)))
        // The server keeps the spool open while an operator looks at it.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.sqlite3))
        process.arguments = [
            fixture.path,
            """
            SELECT e.message_id, e.type, e.received_at, CAST(e.body AS TEXT), d.sink, d.state
            FROM events e JOIN deliveries d ON d.event_key = e.key ORDER BY d.sink
            """,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus == 0)
        #expect(
            text == """
                msg_1|contact.created|1700000000.5|{"id":"evt_1"}|a|pending
                msg_1|contact.created|1700000000.5|{"id":"evt_1"}|b|pending

                """)
        try await spool.close()
    }
}
