import EngageEvents
import RelayConfig
import RelayCore
import RelayPlanning
import RelayTesting
import Testing

/// A sink kind whose typed keys exercise what the checker does with declared options.
final class ProbeSink: Sink {
    enum Mode: String, Sendable, CaseIterable { case fast, careful }

    enum Key {
        static let mode = SinkOptionKey.choice("mode", of: Mode.self, default: .careful, doc: "how")
        static let timeout = SinkOptionKey.duration(
            "timeout", default: "10s", in: .milliseconds(1)...(.seconds(86_400)), doc: "how long")
        static let words = SinkOptionKey.words("words", default: "a b c", doc: "several")
        static let label = SinkOptionKey.string("label", doc: "a name")
    }

    static let kind = "probe"
    static let summary = "test kind"
    static let options = [Key.mode.option, Key.timeout.option, Key.words.option, Key.label.option]

    init(configuration: SinkConfiguration, context: SinkContext) {}
    func deliver(_ batch: [EngageEvent]) async throws -> [DeliveryOutcome] { batch.map { _ in .delivered } }
}

@Suite("The relay's key table and typed sink keys")
struct KeyTableTests {
    let registry = SinkRegistry.empty.adding(ProbeSink.self)

    func validate(_ body: String) -> (RelayPlan?, [Diagnostic]) {
        let text = "verify { secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw }\n\(body)\nroute * -> p\n"
        let parsed = ConfigParser.parse(SourceFile(path: "t.conf", text: text))
        let (plan, diagnostics) = RelayPlan.validate(parsed.document, registry: registry, environment: [:])
        return (plan, parsed.diagnostics + diagnostics.filter { $0.severity == .error })
    }

    @Test("typed keys read declared defaults, so a sink never writes a default twice")
    func defaultsComeFromTheDeclaration() throws {
        let (plan, problems) = validate("sink p probe {}")
        #expect(problems.isEmpty, "\(problems)")
        let options = try #require(plan?.sinks.first).configuration.options
        #expect(options[ProbeSink.Key.mode] == .careful)
        #expect(options[ProbeSink.Key.timeout] == .seconds(10))
        #expect(options[ProbeSink.Key.words] == ["a", "b", "c"])
        #expect(options[ProbeSink.Key.label] == nil)
        #expect(SinkOptions()[ProbeSink.Key.mode] == .careful, "a hand-built set reads the default too")
    }

    @Test(
        "the checker validates each value once, against its declaration",
        arguments: [
            ("sink p probe { mode quick }", "`quick` is not a valid fast|careful for `mode`"),
            ("sink p probe { timeout 0s }", "`timeout` 0ms: must be between 1ms and 1d"),
            ("sink p probe { timeout 400d }", "must be between 1ms and 1d"),
            ("sink p probe { label x timeout 5s }", "`label` takes one value"),
        ])
    func valuesAreCheckedByTheChecker(config: String, message: String) {
        let (plan, problems) = validate(config)
        #expect(plan == nil)
        #expect(problems.contains { $0.message.contains(message) }, "\(problems.map(\.message))")
    }

    @Test("extra words that name a key of the block suggest separating the options")
    func aMissingSeparatorIsNamed() {
        let (_, problems) = validate("sink p probe { label x timeout 5s }")
        #expect(problems.first?.suggestion == "separate options with `;` or a new line")
        let (_, quoted) = validate("sink p probe { label two things }")
        #expect(quoted.first?.suggestion == "quote a value that contains spaces")
        // The relay's own blocks and the top level too.
        for body in ["sink p probe {}\nspool { path /tmp/s.db retention 7d }", "sink p probe {}\nheader-timeout 5s max-body 1MiB"] {
            let (_, problems) = validate(body)
            #expect(problems.first?.suggestion == "separate options with `;` or a new line", "\(body): \(problems)")
        }
        let (_, wrong) = validate("sink p probe {}\nspool { retention 7d 8d }")
        #expect(wrong.first?.suggestion == "write `retention 7d`")
    }

    @Test("every scope's keys are known, repeats are errors with the first line, unknown keys get a did-you-mean")
    func theTableDrivesParsing() {
        let (_, repeated) = validate("sink p probe {}\nspool { lease 10s\n lease 20s }")
        #expect(repeated.map(\.message) == ["`lease` is set more than once in `spool`"])
        #expect(repeated.first?.suggestion == "keep the one at line 3")
        let (_, unknown) = validate("sink p probe {}\nspool { leese 10s }")
        #expect(unknown.first?.suggestion == "did you mean `lease`?")
        let (_, twice) = validate("sink p probe {}\nverify { decrypt x }")
        #expect(twice.contains { $0.message == "`verify` is set more than once" })
        for scope in ConfigScope.allCases {
            #expect(RelayKeys.all.contains { $0.scope == scope }, "no keys for \(scope)")
        }
    }

    @Test("a reload keeps what needs a restart and names each changed key")
    func restartOnlyKeysAreKept() throws {
        let (running, _) = validate("sink p probe {}\nlisten 127.0.0.1:1000\nspool { lease 10s }\nmax-body 2MiB")
        let (changed, _) = validate("sink p probe {}\nlisten 127.0.0.1:2000\nspool { lease 20s }\nmax-body 4MiB")
        var new = try #require(changed)
        let names = new.keepRestartOnlySettings(of: try #require(running))
        #expect(names == ["listen", "spool.lease"])
        #expect(new.listen.port == 1000)
        #expect(new.spool.lease == .seconds(10))
        #expect(new.maxBody == 4 << 20, "max-body applies on reload")
    }

    @Test("the Markdown reference has one table per scope with every key")
    func theReferenceListsEveryKey() {
        let markdown = RelayKeys.markdownReference
        for key in RelayKeys.all { #expect(markdown.contains("| `\(key.name)` |"), "\(key.qualifiedName) missing") }
        #expect(markdown.contains("### `spool`") && markdown.contains("### Top level"))
    }
}
