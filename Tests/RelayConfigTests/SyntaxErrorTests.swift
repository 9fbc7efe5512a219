import RelayConfig
import Testing

@Suite("Parser: syntax errors and recovery")
struct SyntaxErrorTests {
    @Test func anUnterminatedStringIsReportedAtItsOpeningQuoteAndParsingGoesOnWithTheNextLine() {
        let (document, diagnostics) = parse("header X \"Bearer abc\ntimeout 10s\n")
        #expect(diagnostics.map(\.summary) == ["1:10 unterminated string"])
        #expect(diagnostics[0].severity == .error)
        #expect(diagnostics[0].range == range(line: 1, columns: 10..<21, offsets: 9..<20))
        #expect(diagnostics[0].suggestion == "add a closing `\"`")
        #expect(document.directives.map(\.name.text) == ["header", "timeout"])
        #expect(document.directives[0].arguments.map(\.kind) == [.word, .string])
        #expect(document.directives[0].argumentTexts == ["X", "Bearer abc"])
    }

    @Test func anUnterminatedStringSwallowsTheRestOfItsLineIncludingBracesAndComments() {
        let (document, diagnostics) = parse("a \"x } # y\nb 1")
        #expect(diagnostics.map(\.summary) == ["1:3 unterminated string"])
        #expect(document.directives.map(\.argumentTexts) == [["x } # y"], ["1"]])
    }

    @Test func anUnterminatedStringEndingInABackslashIsStillOneError() {
        let (_, diagnostics) = parse("a \"x\\\r\nb 1")
        #expect(diagnostics.map(\.summary) == ["1:3 unterminated string"])
    }

    @Test func anUnknownEscapeIsReportedAtTheBackslashAndKeptLiterally() {
        let (document, diagnostics) = parse(#"path "C:\data\new""#)
        #expect(diagnostics.map(\.summary) == ["1:9 unknown escape sequence `\\d` in string"])
        #expect(diagnostics[0].range == range(line: 1, columns: 9..<11, offsets: 8..<10))
        #expect(document.directives[0].argumentTexts == ["C:\\data\new"])
    }

    @Test func anUnexpectedClosingBraceIsReportedAndSkipped() {
        let (document, diagnostics) = parse("a 1\n  }\nb 2 }\n")
        #expect(
            diagnostics.map(\.summary) == [
                "2:3 unexpected `}` with no matching `{`",
                "3:5 unexpected `}` with no matching `{`",
            ]
        )
        #expect(diagnostics[0].range == range(line: 2, columns: 3..<4, offsets: 6..<7))
        #expect(document.directives.map(\.name.text) == ["a", "b"])
    }

    @Test func anUnclosedBlockIsReportedAtItsOpeningBrace() throws {
        let (document, diagnostics) = parse("listen :8080\nsink erp http {\n    url https://x\n    timeout 10s\n")
        #expect(diagnostics.map(\.summary) == ["2:15 unclosed `{`: the block of `sink` has no matching `}`"])
        #expect(diagnostics[0].range == range(line: 2, columns: 15..<16, offsets: 27..<28))
        let sink = document.directives[1]
        let block = try #require(sink.block)
        #expect(block.closeBrace == nil)
        #expect(sink.childNames == ["url", "timeout"])
        #expect(sink.range.end == block.directives[1].range.end)
    }

    @Test func everyUnclosedBlockIsReportedWhenSeveralAreOpenAtTheEnd() {
        let (_, diagnostics) = parse("a {\n  b {\n    c {\n")
        #expect(
            diagnostics.map(\.summary) == [
                "1:3 unclosed `{`: the block of `a` has no matching `}`",
                "2:5 unclosed `{`: the block of `b` has no matching `}`",
                "3:7 unclosed `{`: the block of `c` has no matching `}`",
            ]
        )
    }

    @Test func anEmptyUnclosedBlockEndsTheDirectiveRangeAtTheBrace() {
        let (document, _) = parse("spool {")
        #expect(document.directives[0].range == range(line: 1, columns: 1..<8, offsets: 0..<7))
    }

    @Test func aBlockWithoutADirectiveNameIsReportedAndItsContentIsStillChecked() {
        let (document, diagnostics) = parse("{ path /x }\na 1; { b \"oops\n}\nc 3")
        #expect(
            diagnostics.map(\.summary) == [
                "1:1 block has no directive name before it",
                "2:6 block has no directive name before it",
                "2:10 unterminated string",
            ]
        )
        #expect(document.directives.map(\.name.text) == ["a", "c"])
    }

    @Test func aSecondBlockAfterAClosedBlockHasNoName() {
        let (document, diagnostics) = parse("a { x } { y }")
        #expect(diagnostics.map(\.summary) == ["1:9 block has no directive name before it"])
        #expect(document.directives.map(\.childNames) == [["x"]])
    }

    @Test(arguments: [
        (#""listen" :80"#, "1:1 expected a directive name, found a quoted string"),
        (", a", "1:1 expected a directive name, found `,`"),
        ("a 1\n  [x] y", "2:3 expected a directive name, found `[`"),
        ("(a)", "1:1 expected a directive name, found `(`"),
    ])
    func aStatementThatDoesNotStartWithAWordIsReportedAndSkipped(text: String, expected: String) {
        let (document, diagnostics) = parse(text + "\nok 1")
        #expect(diagnostics.map(\.summary) == [expected])
        #expect(document.directives.last?.name.text == "ok")
    }

    @Test func aStatementWithoutANameStillHasItsBlockChecked() {
        let (_, diagnostics) = parse("\"x\" {\n  y \"z\n}\n")
        #expect(
            diagnostics.map(\.summary) == [
                "1:1 expected a directive name, found a quoted string", "2:5 unterminated string",
            ])
    }

    @Test func aNoBreakSpaceIsAStrayCharacterThatSeparatesWords() {
        let (document, diagnostics) = parse("timeout\u{00A0}10s")
        #expect(diagnostics.map(\.summary) == ["1:8 stray character U+00A0 (no-break space) outside a quoted string"])
        #expect(diagnostics[0].range == range(line: 1, columns: 8..<9, offsets: 7..<9))
        #expect(document.directives[0].name.text == "timeout")
        #expect(document.directives[0].argumentTexts == ["10s"])
    }

    @Test(arguments: [
        ("a\u{07}b", "1:2 stray character U+0007 outside a quoted string"),
        ("a \u{200B}b", "1:3 stray character U+200B (zero width space) outside a quoted string"),
        ("\u{FEFF}a b", "1:1 stray character U+FEFF (zero width no-break space) outside a quoted string"),
        ("a\u{0B}b", "1:2 stray character U+000B outside a quoted string"),
    ])
    func invisibleAndControlCharactersAreStray(text: String, expected: String) {
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.map(\.summary) == [expected])
    }

    @Test func strayCharactersInsideAQuotedStringAreKept() {
        let (document, diagnostics) = parse("a \"x\u{00A0}y\"")
        #expect(diagnostics.isEmpty)
        #expect(document.directives[0].argumentTexts == ["x\u{00A0}y"])
    }

    @Test func everyErrorInAFileIsReportedInSourceOrderAndValidDirectivesAreKept() {
        let text = """
            listen :8080
            }
            verify {
                secret "abc
                tolerance 5m
            }
            , route
            sink a file { path /x }
            { orphan }
            spool {
                path /y
            """
        let (document, diagnostics) = parse(text)
        #expect(
            diagnostics.map(\.summary) == [
                "2:1 unexpected `}` with no matching `{`",
                "4:12 unterminated string",
                "7:1 expected a directive name, found `,`",
                "9:1 block has no directive name before it",
                "10:7 unclosed `{`: the block of `spool` has no matching `}`",
            ]
        )
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        #expect(document.directives.map(\.name.text) == ["listen", "verify", "sink", "spool"])
        #expect(document.directives[1].childNames == ["secret", "tolerance"])
        #expect(document.directives[3].childNames == ["path"])
    }

    @Test func blocksNestedTooDeeplyAreReportedOnceAndSkipped() {
        let depth = 100
        let text = String(repeating: "a {\n", count: depth) + String(repeating: "}\n", count: depth) + "after 1\n"
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.map(\.summary) == ["65:3 blocks are nested more than 64 deep"])
        #expect(document.directives.map(\.name.text) == ["a", "after"])
    }
}
