import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

@Suite struct RelayPlanTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let registry = SinkRegistry.empty.adding(InMemorySink.self)

    /// Validates; the "no `decrypt` key" warning every config without one gets is left out (tested on its own).
    func validate(_ text: String, environment: [String: String] = ["S": secret]) -> (RelayPlan?, [Diagnostic]) {
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: text))
        #expect(parsed.diagnostics.isEmpty, "syntax: \(parsed.diagnostics)")
        let (plan, diagnostics) = RelayPlan.validate(parsed.document, registry: registry, environment: environment)
        return (plan, diagnostics.filter { !$0.message.hasPrefix("no `decrypt` key") })
    }

    func errors(_ text: String, environment: [String: String] = ["S": secret]) -> [Diagnostic] {
        validate(text, environment: environment).1.filter { $0.severity == .error }
    }

    @Test func aCompleteConfigBuildsAPlan() throws {
        let (plan, diagnostics) = validate(
            """
            listen 0.0.0.0:9000
            path /hooks
            max-body 512KiB
            verify {
                secret env:S
                secret \(Self.secret)
                tolerance 2m
            }
            sink a memory { label x }
            sink b memory {}
            route contact.*, loyalty.addPoints -> a, b
            route * -> b
            """)
        #expect(diagnostics.isEmpty)
        let built = try #require(plan)
        #expect(built.listen == ListenAddress(host: "0.0.0.0", port: 9000))
        #expect(built.path == "/hooks")
        #expect(built.maxBody == 512 * 1024)
        #expect(built.verification.secrets.count == 2)
        #expect(built.verification.tolerance == .seconds(120))
        #expect(built.sinks.map(\.name) == ["a", "b"])
        #expect(built.sinks[0].configuration.options[InMemorySink.label] == "x")
        #expect(built.sinks[1].configuration.options[InMemorySink.label] == nil)
        #expect(built.routes.routes.count == 2)
        #expect(built.routes.routes[0].sinks == ["a", "b"])
    }

    @Test func defaultsApplyWhenKeysAreAbsent() throws {
        let plan = try #require(validate("verify { secret env:S }").0)
        #expect(plan.listen.description == "127.0.0.1:8080")
        #expect(plan.path == "/webhooks/engage")
        #expect(plan.maxBody == 1 << 20)
        #expect(plan.verification.tolerance == .seconds(300))
    }

    @Test func everyErrorIsReportedAtOnceWithItsLocation() {
        let found = errors(
            """
            listen nowhere
            verify { secret env:MISSING }
            sink a memory { lable x }
            sink b nosuch {}
            route contact.* -> c
            bogus 1
            """)
        let summary = found.map { "\($0.range.start.line):\($0.range.start.column) \($0.message)" }
        #expect(
            summary == [
                "1:8 `nowhere` is not a listen address",
                "2:17 cannot read `secret` from env:MISSING: environment variable `MISSING` is not set",
                "3:17 unknown key `lable` in sink `a` (memory)",
                "4:8 unknown sink kind `nosuch`",
                "5:20 route refers to undefined sink `c`",
                "6:1 unknown key `bogus` at the top level",
            ], "\(summary)")
        #expect(found[2].suggestion == "did you mean `label`?")
    }

    @Test func verificationIsRequiredAndSecretsAreChecked() {
        #expect(errors("sink a memory {}\nroute * -> a").map(\.message) == ["no `verify` block: every delivery must be signature-checked"])
        #expect(errors("verify { tolerance 5m }").map(\.message) == ["`verify` has no `secret` or `public-key`"])
        let bad = errors("verify { secret whsec_abc }")
        #expect(bad.count == 1)
        #expect(bad.first?.message.hasPrefix("`secret` <literal> is not a valid signing secret") == true)
        #expect(!(bad.first?.message.contains("whsec_abc") ?? true))
    }

    @Test func unknownEventTypesAreWarningsWithSuggestions() throws {
        let (plan, diagnostics) = validate("verify { secret env:S }\nsink a memory {}\nroute contact.craeted, order.* -> a")
        #expect(plan != nil)
        #expect(diagnostics.map(\.severity) == [.warning, .warning])
        #expect(diagnostics[0].suggestion == "did you mean `contact.created`?")
        #expect(diagnostics[1].message.contains("matches no known Engage event type"))
    }

    @Test func badPatternsDuplicatesAndMissingArrowsAreErrors() {
        let found = errors(
            """
            verify { secret env:S }
            sink a memory {}
            sink a memory {}
            route contact* -> a
            route contact.created a
            route -> a
            route * ->
            listen 127.0.0.1:1
            listen 127.0.0.1:2
            """)
        #expect(
            found.map(\.message) == [
                "sink `a` is declared twice",
                "`contact*` is not an event pattern",
                "`route` needs `->` between event patterns and sinks",
                "expected a event pattern",
                "expected a sink name",
                "`listen` is set more than once",
            ])
    }

    @Test func aRetentionShorterThanSvixsRetrySpanIsAWarning() throws {
        let (plan, diagnostics) = validate("verify { secret env:S }\nspool { retention 1d }")
        #expect(plan?.spool.retention == .seconds(86_400))
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.message.contains("Svix retries a message for about 28 hours") == true)
        #expect(validate("verify { secret env:S }\nspool { retention 7d }").1.isEmpty)
    }

    @Test func secretValuesNeverAppearInTheSummary() throws {
        let plan = try #require(validate("verify { secret env:S }\nsink a memory {}\nroute * -> a").0)
        #expect(plan.summary.contains("env:S"))
        #expect(!plan.summary.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }
}
