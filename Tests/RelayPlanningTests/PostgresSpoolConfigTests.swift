import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// `spool { url … }`: the PostgreSQL spool's settings, checked like every other key.
@Suite struct PostgresSpoolConfigTests {
    func validate(_ spool: String, environment: [String: String] = [:], secrets: SecretResolution = .all)
        -> (RelayPlan?, [Diagnostic])
    {
        let text = """
            verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }
            spool {
            \(spool)
            }
            sink a memory {}
            route * -> a
            """
        return RelayPlan.validate(
            ConfigParser.parse(SourceFile(path: "t.conf", text: text)).document,
            registry: SinkRegistry.empty.adding(InMemorySink.self), environment: environment, secrets: secrets)
    }

    func errors(_ diagnostics: [Diagnostic]) -> [String] {
        diagnostics.filter { $0.severity == .error }.map { "\($0.range.start.line):\($0.range.start.column) \($0.message)" }
    }

    @Test func aURLFromTheEnvironmentSelectsPostgres() throws {
        let (plan, diagnostics) = validate(
            "url env:DB\npool 25", environment: ["DB": "postgres://relay:s3cret@db.internal:6432/engage?sslmode=verify-full"])
        #expect(errors(diagnostics).isEmpty, "\(diagnostics)")
        let spool = try #require(plan?.spool)
        #expect(spool.kind == "postgres")
        #expect(spool.connections == 25)
        #expect(spool.url?.host == "db.internal" && spool.url?.port == 6432 && spool.url?.database == "engage")
        #expect(spool.url?.tls == .verifyFull)
        #expect("\(spool.url!)" == "postgres://relay:***@db.internal:6432/engage?sslmode=verify-full")
        #expect(!(plan?.summary.contains("s3cret") ?? true), "the summary shows the password")
    }

    @Test func withoutAURLTheSQLiteSpoolStaysTheDefault() throws {
        let (plan, _) = validate("retention 7d")
        #expect(plan?.spool.kind == "sqlite")
        #expect(plan?.spool.url == nil)
    }

    @Test func pathAndURLTogetherAreAnError() {
        let (plan, diagnostics) = validate("path /var/lib/spool.db\nurl postgres://relay@localhost/engage")
        #expect(plan == nil)
        #expect(errors(diagnostics).contains { $0.hasPrefix("3:1 `path` and `url` choose different spools") }, "\(diagnostics)")
    }

    @Test func settingsOnlyOneSpoolKindHasAreErrorsForTheOther() {
        let (_, postgres) = validate("url postgres://relay@localhost/engage\nmax-size 1GiB")
        #expect(errors(postgres).contains { $0.contains("`max-size` applies to the SQLite spool only") }, "\(postgres)")
        let (_, sqlite) = validate("pool 5")
        #expect(errors(sqlite).contains { $0.contains("`pool` applies to the PostgreSQL spool only") }, "\(sqlite)")
    }

    @Test(arguments: [
        ("mysql://relay@db/engage", "has scheme `mysql`"),
        ("postgres://db.internal/engage", "names no user"),
        ("postgres://relay@db.internal", "names no database"),
        ("postgres://relay:pw@db.internal/engage?sslmode=verify-ca", "has sslmode `verify-ca`"),
        ("postgres://relay@db.internal/engage?connect_timeout=3", "has parameter `connect_timeout`"),
    ])
    func aBadURLIsAnErrorThatNeverShowsThePassword(url: String, problem: String) {
        let (plan, diagnostics) = validate("url env:DB", environment: ["DB": url])
        #expect(plan == nil)
        let messages = errors(diagnostics)
        #expect(messages.contains { $0.contains("`url` env:DB is not a PostgreSQL URL: the URL \(problem)") }, "\(messages)")
        #expect(!messages.joined().contains("pw"), "\(messages)")
    }

    @Test func checkingWithoutSecretsLeavesTheURLUnreadButTheSpoolCommandsReadIt() throws {
        let environment = ["DB": "postgres://relay@localhost/engage"]
        let (unread, _) = validate("url env:DB", environment: environment, secrets: .none)
        #expect(unread?.spool.kind == "postgres" && unread?.spool.url == nil)
        let (read, _) = validate("url env:DB", environment: environment, secrets: .spoolAndPayloadKey)
        #expect(read?.spool.url?.database == "engage")
    }
}
