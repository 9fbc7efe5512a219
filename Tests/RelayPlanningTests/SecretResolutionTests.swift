import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// Validating a config without reading its secrets, for the commands that verify nothing.
@Suite struct SecretResolutionTests {
    static let config = """
        verify {
            secret  env:SIGNING
            secret  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
            header  X-Token file:/no/such/token
            decrypt env:PAYLOAD_KEY
        }
        sink a memory {}
        route * -> a
        """
    static let payloadKey = "DaqfT7Ys6tGqM3zbesEKpmacTJEqBCp2"

    func validate(_ secrets: SecretResolution, environment: [String: String] = [:]) -> (RelayPlan?, [Diagnostic]) {
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: Self.config))
        return RelayPlan.validate(
            parsed.document, registry: SinkRegistry.empty.adding(InMemorySink.self), environment: environment,
            secrets: secrets)
    }

    @Test func readingEverySecretNeedsThemAll() {
        let (plan, diagnostics) = validate(.all)
        #expect(plan == nil)
        #expect(diagnostics.filter { $0.severity == .error }.count == 3, "\(diagnostics)")
    }

    @Test func readingNoneChecksTheReferencesAndLiteralsAndMakesAPlanThatSaysSo() throws {
        let (plan, diagnostics) = validate(.none)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let built = try #require(plan)
        #expect(built.secretResolution == .none)
        #expect(
            built.unreadSecrets.map { "\($0.key) \($0.source)" } == [
                "secret env:SIGNING", "header X-Token file:/no/such/token", "decrypt env:PAYLOAD_KEY",
            ])
        // The literal is in the file: it is decoded either way.
        #expect(built.verification.secrets.count == 1)
        #expect(built.verification.decryption == nil && built.verification.headerTokens.isEmpty)
    }

    @Test func readingThePayloadKeyOnlyLeavesTheVerificationSecretsUnread() throws {
        #expect(validate(.spoolAndPayloadKey).0 == nil, "the payload key is read, and it is not set")
        let (plan, diagnostics) = validate(.spoolAndPayloadKey, environment: ["PAYLOAD_KEY": Self.payloadKey])
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let built = try #require(plan)
        #expect(built.verification.decryption != nil)
        #expect(built.unreadSecrets.map(\.key) == ["secret", "header X-Token"])
    }

    @Test func aValueThatIsNotReadIsNoExcuseForABadLiteral() {
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: "verify { secret not-a-secret }\n"))
        let (plan, diagnostics) = RelayPlan.validate(
            parsed.document, registry: .empty, environment: [:], secrets: .none)
        #expect(plan == nil)
        #expect(diagnostics.contains { $0.message.hasPrefix("`secret` <literal> is not a valid signing secret") })
    }
}
