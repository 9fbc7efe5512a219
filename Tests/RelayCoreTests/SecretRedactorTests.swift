import RelayConfig
import RelayCore
import Testing

@Suite struct SecretRedactorTests {
    @Test func everyHeldValueIsReplacedLongestFirstAndShortOnesAreLeftAlone() {
        let redactor = SecretRedactor(["abcd1234", "abcd1234-longer", "1", "xyz"])
        #expect(redactor.count == 2)
        #expect(redactor.redact("a abcd1234-longer b abcd1234 exit 1 xyz") == "a [redacted] b [redacted] exit 1 xyz")
        redactor.add(["later-value"])
        #expect(redactor.redact("later-value") == "[redacted]")
    }

    @Test func aTextCutThroughAValueLosesTheValuesTailOnlyWhenSaidToBeCut() {
        let redactor = SecretRedactor(["s3cret-value"])
        #expect(redactor.redact("et-value and more", cutAtStart: true) == "[redacted] and more")
        #expect(redactor.redact("et-value and more") == "et-value and more")
        #expect(redactor.redact("lue and more", cutAtStart: true) == "lue and more", "a tail under 4 bytes is kept")
    }

    @Test func neitherTheDescriptionNorTheMirrorShowsAValue() {
        let redactor = SecretRedactor(["s3cret-value"])
        var dumped = ""
        dump(redactor, to: &dumped)
        #expect(!"\(redactor)".contains("s3cret") && !dumped.contains("s3cret"))
    }

    @Test(arguments: [
        (SinkOptionValue.pair(name: "Authorization", value: "Bearer abc"), "Authorization <literal>"),
        (.pair(name: "Authorization", value: "env:TOKEN"), "Authorization env:TOKEN"),
        (.pair(name: "X-Key", value: "file:/run/key"), "X-Key file:/run/key"),
        (
            .pair(name: "Authorization", value: "Bearer ${env:TOKEN} ${file:/k}"),
            "Authorization <text with env:TOKEN, file:/k>"
        ),
        (.text("https://user:pass@host:8443/path?q=a@b"), "https://<credentials>@host:8443/path?q=a@b"),
        (.text("https://token@host"), "https://<credentials>@host"),
        (.text("https://host/path@x"), "https://host/path@x"),
        (.text("/var/log/a@b"), "/var/log/a@b"),
        (.secret(source: .literal("whsec_x"), value: "whsec_x"), "<literal>"),
    ])
    func displayedOptionValuesHoldNoSecret(value: SinkOptionValue, shown: String) {
        #expect(value.redactedText == shown)
    }
}
