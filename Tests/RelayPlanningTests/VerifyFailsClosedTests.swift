import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// No layer fails open: every `verify` setting that cannot be enforced exactly as written is an error at its line,
/// never accepted and ignored.
@Suite("verify fails closed")
struct VerifyFailsClosedTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let key = "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"

    /// One bad line per row, with the key it exercises.
    static let rows: [(key: String, line: String)] = [
        ("secret", "secret not-a-secret!"), ("secret", "secret env:UNSET_SECRET"), ("secret", "secret"),
        ("secret", "secret \(secret) \(secret)"), ("secret", "secret file:/nonexistent/secret"),
        ("public-key", "public-key whpk_notakey"), ("public-key", "public-key env:UNSET_KEY"),
        ("tolerance", "tolerance 0s"), ("tolerance", "tolerance 2d"), ("tolerance", "tolerance soon"),
        ("tolerance", "tolerance 1m\n    tolerance 2m"),
        ("allow", "allow"), ("allow", "allow 300.1.1.1"), ("allow", "allow 010.0.0.1"), ("allow", "allow 10.0.0.0/33"),
        ("allow", "allow svix-mars"), ("allow", "allow 192.0.2.1 bogus"),
        ("trust-proxy", "trust-proxy 1.2.3"), ("trust-proxy", "trust-proxy"),
        ("header", "header X-Tök value"), ("header", "header X-Token"), ("header", #"header X-Token """#),
        ("header", "header X-Token env:UNSET_TOKEN"), ("header", #"header "X Token" value"#),
        ("header", "header X-Token:x value"),
        ("decrypt", "decrypt short"), ("decrypt", "decrypt \(key) \(key)"), ("decrypt", "decrypt env:UNSET_KEY"),
        ("decrypt", "decrypt \(key)\n    decrypt \(key)"),
        ("rate-limit", "rate-limit 0/s burst 1"), ("rate-limit", "rate-limit 10/s"), ("rate-limit", "rate-limit 10/s burst 0"),
        ("rate-limit", "rate-limit fast"), ("rate-limit", "rate-limit nan/s burst 1"), ("rate-limit", "rate-limit 1e400/s burst 1"),
        ("rate-limit", "rate-limit 10/s burst 5 per-source 0/s burst 1"), ("rate-limit", "rate-limit 10/s burst 5 per-source 1/s"),
        ("rate-limit", "rate-limit 10/s burst 5\n    rate-limit 20/s burst 5"),
        ("(unknown key)", "secrets \(secret)"),
    ]

    func problems(_ line: String) -> (plan: RelayPlan?, errors: [Diagnostic]) {
        let text = "verify {\n    secret \(Self.secret)\n    \(line)\n}\nsink a memory {}\nroute * -> a\n"
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: text))
        let (plan, diagnostics) = RelayPlan.validate(
            parsed.document, registry: SinkRegistry.empty.adding(InMemorySink.self), environment: [:])
        return (parsed.diagnostics.isEmpty ? plan : nil, (parsed.diagnostics + diagnostics).filter { $0.severity == .error })
    }

    @Test("each bad setting is an error located on its own line", arguments: rows)
    func badSettingIsAnError(key: String, line: String) {
        let (plan, errors) = problems(line)
        #expect(plan == nil, "`\(line)` was accepted")
        #expect(!errors.isEmpty)
        #expect(errors.allSatisfy { $0.range.start.line >= 3 }, "\(errors.map { "\($0.range.start.line): \($0.message)" })")
    }

    @Test("every key of the verify block has a row")
    func everyKeyIsCovered() {
        let covered = Set(Self.rows.map(\.key))
        for key in RelayKeys.all where key.scope == .verify {
            #expect(covered.contains(key.name), "no bad-value row for `verify { \(key.name) }`")
        }
    }

    @Test("check's summary names every active layer, never a value")
    func summaryListsEveryLayer() throws {
        let text = """
            verify {
                secret \(Self.secret)
                tolerance 2m
                allow 192.0.2.0/24
                trust-proxy 127.0.0.1
                header X-Engage-Token tok-9f3a
                decrypt \(Self.key)
                rate-limit 50/s burst 100 per-source 5/s burst 10
            }
            sink a memory {}
            route * -> a
            """
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: text))
        let plan = try #require(
            RelayPlan.validate(parsed.document, registry: SinkRegistry.empty.adding(InMemorySink.self), environment: [:])
                .plan)
        let summary = plan.summary
        for layer in [
            "tolerance 2m", "allow     192.0.2.0/24", "trust     127.0.0.1/32", "header    x-engage-token",
            "decrypt   on", "rate      50/s burst 100, per source 5/s burst 10",
        ] {
            #expect(summary.contains(layer), "`\(layer)` missing from:\n\(summary)")
        }
        for value in [String(Self.secret.dropFirst(6)), "tok-9f3a", Self.key] {
            #expect(!summary.contains(value), "the summary shows a secret value")
        }
    }
}
