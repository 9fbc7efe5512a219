import Foundation

/// A private PostgreSQL cluster for tests, run by the package's `scripts/postgres` (`initdb` and `pg_ctl` as an
/// unprivileged user when the tests run as root), and fresh databases in it, one per test.
///
/// ``shared`` is the cluster every test may use at once; a test that stops its server makes a cluster of its own
/// with ``init(folder:port:)``, so that it never pulls the database from under other tests.
public struct TestPostgres: Sendable {
    /// Where the cluster's files and socket live.
    public var folder: String
    /// Its TCP port on 127.0.0.1.
    public var port: Int
    /// Whether it serves TLS, with a self-signed certificate for `localhost`.
    public var tls: Bool

    /// The cluster the test command starts (`scripts/postgres start`), at its default place.
    public static let shared = TestPostgres(folder: "/tmp/engage-relay-pg", port: 55432)

    /// A cluster of its own in `folder`, on `port`, with TLS when `tls`.
    public init(folder: String, port: Int, tls: Bool = false) {
        self.folder = folder
        self.port = port
        self.tls = tls
    }

    /// The package's `scripts/postgres`.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/postgres").path

    /// The URL of database `name` as the trusted role `relay`.
    public func url(database name: String = "postgres") -> String { "postgres://relay@127.0.0.1:\(port)/\(name)" }

    /// Runs `scripts/postgres COMMAND` for this cluster; fails with its output when it fails.
    public func control(_ command: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["ENGAGE_RELAY_PG_DIR"] = folder
        environment["ENGAGE_RELAY_PG_PORT"] = "\(port)"
        environment["ENGAGE_RELAY_PG_TLS"] = tls ? "1" : "0"
        let output = try await ChildProcess.run(Self.script, [command], environment: environment)
        guard output.status == 0 else {
            throw TestFailure("scripts/postgres \(command) failed (\(output.status)): \(output.stderrText)")
        }
    }

    /// Starts the cluster when it is not running (creating it the first time).
    public func start() async throws { try await control("start") }

    /// Stops the server the way a crash would (`pg_ctl stop -m immediate`).
    public func stopImmediately() async throws { try await control("stop-immediate") }

    /// Starts the cluster and creates an empty database with a fresh name; returns its URL.
    public func freshDatabase(prefix: String = "t") async throws -> String {
        try await start()
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        _ = try await psql(url(), "CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs `sql` with `psql` against `url` and returns its unaligned, tuples-only output; fails on any error.
    public func psql(_ url: String, _ sql: String) async throws -> String {
        let output = try await ChildProcess.run(
            "psql", [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        guard output.status == 0 else { throw TestFailure("psql failed (\(output.status)): \(output.stderrText)") }
        return output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
