import EngageRelay
import Foundation
import Logging
import RelayCore
import RelaySpoolSQLite
import RelayTesting
import Testing

/// The spool commands over a PostgreSQL spool, and `spool copy` from SQLite into PostgreSQL, through the real binary.
@Suite struct PostgresCommandLineTests {
    static func relay(_ arguments: [String]) async throws -> ChildProcess.Output {
        try await ChildProcess.run(RelayBinary.url.path, arguments)
    }

    /// A SQLite spool with an event in every state: delivered, pending, in flight, a dead letter, unrouted and
    /// undeliverable; and two configs over it and over a fresh PostgreSQL database.
    static func spools() async throws -> (sqlite: String, postgres: String, database: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("spool.db").path
        let spool = try SQLiteSpool(path: path, logger: Logger(label: "test"))
        let t0 = Date(timeIntervalSince1970: 1_764_000_000)
        // An Engage body, so that replay can route the unrouted event by its current routes.
        let engage = try Fixtures.engageBodies()[0].body
        func record(_ n: Int, sinks: [String] = ["out", "audit"], state: StoredEventState = .routed) -> SpoolRecord {
            SpoolRecord(
                messageId: "msg_\(n)", eventId: "evt_\(n)", type: "contact.created", tenant: n % 2 == 0 ? "se" : nil,
                receivedAt: t0 + Double(n), body: n == 7 ? engage : Array(#"{"id":"evt_\#(n)","n":\#(n)}"#.utf8), sinks: sinks,
                state: state, reason: state == .undeliverable ? "invalid_envelope: not an Engage event" : nil)
        }
        for n in 1...6 { _ = try await spool.append(record(n)) }
        _ = try await spool.append(record(7, sinks: [], state: .unrouted))
        _ = try await spool.append(record(8, sinks: [], state: .undeliverable))
        let lease = LeaseTerms(owner: "test", duration: .seconds(30))
        let claimed = try await spool.claim(sink: "out", limit: 3, lease: lease, now: t0 + 100)
        _ = try await spool.complete([
            DeliveryResult(claimed[0], .delivered, at: t0 + 101),
            DeliveryResult(claimed[1], .failed, error: "HTTP 410 from the warehouse", at: t0 + 102),
        ])
        try await spool.close()
        let database = try await TestPostgres.shared.freshDatabase(prefix: "cli")
        let common = "verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }\nsink out file { path \(folder.path)/out.jsonl }\nsink audit file { path \(folder.path)/audit.jsonl }\nroute * -> out, audit\n"
        let sqlite = folder.appendingPathComponent("sqlite.conf").path
        try "spool { path \(path) }\n\(common)".write(toFile: sqlite, atomically: true, encoding: .utf8)
        let postgres = folder.appendingPathComponent("postgres.conf").path
        try "spool { url \(database) }\n\(common)".write(toFile: postgres, atomically: true, encoding: .utf8)
        return (sqlite, postgres, database)
    }

    @Test func spoolCopyMovesEverythingOnceAndTheCommandsAnswerAlikeOverBothSpools() async throws {
        let (sqlite, postgres, database) = try await Self.spools()
        let first = try await Self.relay(["spool", "copy", "--from", sqlite, "--to", postgres, "--json"])
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stdoutText.contains(#""copied":8"#), "\(first.stdoutText)")
        let again = try await Self.relay(["spool", "copy", "--from", sqlite, "--to", postgres, "--json"])
        #expect(again.stdoutText.contains(#""copied":0"#) && again.stdoutText.contains(#""skipped":8"#), "\(again.stdoutText)")
        #expect(try await TestPostgres.shared.psql(database, "SELECT count(*) FROM relay_events") == "8")

        for command in [
            ["events", "list"], ["events", "list", "--json"], ["events", "list", "--state", "failed"],
            ["events", "list", "--state", "undeliverable", "--json"], ["events", "show", "msg_2", "--json", "--body"],
            ["events", "show", "evt_8"], ["dead-letters", "list"], ["dead-letters", "list", "--json"],
        ] {
            let overSQLite = try await Self.relay(command + ["--config", sqlite])
            let overPostgres = try await Self.relay(command + ["--config", postgres])
            #expect(overSQLite.status == 0 && overPostgres.status == 0, "\(command): \(overPostgres.stderrText)")
            // The in-flight delivery of msg_3 becomes pending in the copy; every other line is the same.
            let normalize = { (text: String) in
                text.replacingOccurrences(of: "in-flight", with: "pending").split(separator: "\n", omittingEmptySubsequences: false)
                    .map { $0.split(separator: " ").joined(separator: " ") }.joined(separator: "\n")
            }
            #expect(
                normalize(overSQLite.stdoutText) == normalize(overPostgres.stdoutText),
                "\(command) differs:\n\(overSQLite.stdoutText)\n---\n\(overPostgres.stdoutText)")
        }
    }

    @Test func replayAndDeadLetterRetryWorkOverPostgres() async throws {
        let (sqlite, postgres, database) = try await Self.spools()
        _ = try await Self.relay(["spool", "copy", "--from", sqlite, "--to", postgres])
        let retried = try await Self.relay(["dead-letters", "retry", "--config", postgres, "--sink", "out"])
        #expect(retried.status == 0, "\(retried.stderrText)")
        #expect(
            try await TestPostgres.shared.psql(
                database,
                "SELECT d.state || ' ' || d.attempts FROM relay_deliveries d JOIN relay_events e ON e.key = d.event_key WHERE e.message_id = 'msg_2' AND d.sink = 'out'")
                == "pending 0")
        let replayed = try await Self.relay(["replay", "--config", postgres, "evt_7"])
        #expect(replayed.status == 0 && replayed.stdoutText.contains("2"), "\(replayed.stdoutText) \(replayed.stderrText)")
        #expect(
            try await TestPostgres.shared.psql(
                database,
                "SELECT e.state || ' ' || string_agg(d.sink, ',' ORDER BY d.sink) FROM relay_events e JOIN relay_deliveries d ON d.event_key = e.key WHERE e.message_id = 'msg_7' GROUP BY e.state")
                == "routed audit,out")
    }

    @Test func copyingASpoolOntoItselfIsRefused() async throws {
        let (sqlite, _, _) = try await Self.spools()
        let result = try await Self.relay(["spool", "copy", "--from", sqlite, "--to", sqlite])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("name the same spool"), "\(result.stderrText)")
    }
}
