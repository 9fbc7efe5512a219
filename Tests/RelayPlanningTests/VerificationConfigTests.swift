import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing
import WebhookVerification

@Suite struct VerificationConfigTests {
    let registry = SinkRegistry.empty.adding(InMemorySink.self)
    static let key = "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"

    func validate(_ verify: String, environment: [String: String] = [:]) -> (RelayPlan?, [Diagnostic]) {
        let text = "verify {\n    secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n\(verify)\n}\nsink a memory {}\nroute * -> a\n"
        let parsed = ConfigParser.parse(SourceFile(path: "v.conf", text: text))
        return RelayPlan.validate(parsed.document, registry: registry, environment: environment)
    }

    @Test func everyLayerIsReadFromTheVerifyBlock() throws {
        let (plan, diagnostics) = validate(
            """
                allow svix-eu 10.20.0.0/16 192.0.2.7
                trust-proxy 127.0.0.1 ::1
                header X-Engage-Token env:TOKEN second-value
                decrypt env:KEY
                rate-limit 50/s burst 100 per-source 10/s burst 20
            """, environment: ["TOKEN": "first-value", "KEY": Self.key])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let verification = try #require(plan?.verification)
        #expect(verification.allow.map(\.text) == ["svix-eu", "10.20.0.0/16", "192.0.2.7"])
        #expect(verification.sourcePolicy.allows(IPAddress("52.215.16.239")!))
        #expect(!verification.sourcePolicy.allows(IPAddress("52.215.16.240")!))
        #expect(verification.trustedProxies.count == 2)
        #expect(verification.headerTokens.first?.token.accepts("first-value") == true)
        #expect(verification.headerTokens.first?.token.accepts("second-value") == true)
        #expect(verification.headerTokens.first?.sources.map(\.description) == ["env:TOKEN", "<literal>"])
        #expect(verification.decryption?.source.description == "env:KEY")
        #expect(verification.rateLimit == RateLimitPlan(rate: 50, burst: 100, perSourceRate: 10, perSourceBurst: 20))
    }

    @Test func withoutADecryptKeyCheckWarns() {
        let warnings = validate("").1.filter { $0.severity == .warning }
        #expect(warnings.map(\.message) == ["no `decrypt` key: events that arrive encrypted will be stored as undeliverable"])
    }

    @Test func mistakesInTheLayersAreErrorsThatNeverShowTheValues() {
        let errors = validate(
            """
                allow svix-ue 10.0.0.0/33
                header X-Token
                decrypt tooShortKey123
                rate-limit fast
            """
        ).1.filter { $0.severity == .error }
        #expect(
            errors.map(\.message) == [
                "`svix-ue` is not an address, a CIDR range or a named list",
                "`10.0.0.0/33` is not an address, a CIDR range or a named list",
                "`header` takes a header name and one or more accepted values",
                "`decrypt` <literal> is not a valid payload key: payload key has 14 characters; expected exactly 32 characters of A-Z, a-z, 0-9",
                "malformed `rate-limit`",
            ], "\(errors.map(\.message))")
        #expect(errors[0].suggestion == "did you mean `svix-eu`?")
        #expect(!errors.contains { $0.message.contains("tooShortKey123") })
    }
}
