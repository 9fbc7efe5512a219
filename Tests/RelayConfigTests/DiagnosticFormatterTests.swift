import RelayConfig
import Testing

@Suite("Diagnostic rendering")
struct DiagnosticFormatterTests {
    @Test func aDiagnosticWithASuggestionRendersLocationSourceLineCaretAndSuggestion() {
        let source = SourceFile(path: "relay.conf", text: "sink erp http {\n    timout 10s\n}\n")
        let diagnostic = Diagnostic.error(
            "unknown key `timout` in sink `erp` (http)",
            at: range(line: 2, columns: 5..<11, offsets: 20..<26),
            suggestion: "did you mean `timeout`?"
        )
        let expected = """
            relay.conf:2:5: error: unknown key `timout` in sink `erp` (http)
                    timout 10s
                    ^~~~~~
                suggestion: did you mean `timeout`?
            """
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func theCaretUnderlinesARangeInTheMiddleOfALine() {
        let source = SourceFile(path: "r.conf", text: "route contact.craeted -> welcome\n")
        let diagnostic = Diagnostic.warning(
            "unknown event type `contact.craeted`",
            at: range(line: 1, columns: 7..<22, offsets: 6..<21)
        )
        let expected = """
            r.conf:1:7: warning: unknown event type `contact.craeted`
                route contact.craeted -> welcome
                      ^~~~~~~~~~~~~~~
            """
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func tabsInTheSourceLineAreKeptAndRepeatedInTheCaretLineSoTheCaretAligns() {
        let source = SourceFile(path: "t.conf", text: "verify {\n\ttolerance\t5x\n}\n")
        let diagnostic = Diagnostic.error(
            "invalid duration `5x`", at: range(line: 2, columns: 12..<14, offsets: 20..<22))
        let expected =
            "t.conf:2:12: error: invalid duration `5x`\n"
            + "    \ttolerance\t5x\n"
            + "    \t         \t^~"
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func theCaretCountsCharactersNotBytes() {
        let source = SourceFile(path: "u.conf", text: "name \"héllo wörld\" x\n")
        let diagnostic = Diagnostic.error("unexpected argument", at: range(line: 1, columns: 20..<21, offsets: 21..<22))
        let expected = """
            u.conf:1:20: error: unexpected argument
                name "héllo wörld" x
                                   ^
            """
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func anEmptyRangeAtTheEndOfALineGetsASingleCaretAfterTheText() {
        let source = SourceFile(path: "e.conf", text: "listen\n")
        let diagnostic = Diagnostic.error(
            "`listen` needs an address", at: SourceRange(at: SourceLocation(line: 1, column: 7, offset: 6)))
        let expected = """
            e.conf:1:7: error: `listen` needs an address
                listen
                      ^
            """
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func aRangeSpanningLinesIsUnderlinedToTheEndOfItsFirstLine() {
        let source = SourceFile(path: "m.conf", text: "sink a file {\n}\n")
        let diagnostic = Diagnostic.error(
            "sink `a` needs `path`",
            at: SourceRange(
                start: SourceLocation(line: 1, column: 1, offset: 0),
                end: SourceLocation(line: 2, column: 2, offset: 15))
        )
        let expected = """
            m.conf:1:1: error: sink `a` needs `path`
                sink a file {
                ^~~~~~~~~~~~~
            """
        #expect(DiagnosticFormatter.format(diagnostic, source: source) == expected)
    }

    @Test func aCRLFLineIsShownWithoutItsCarriageReturn() {
        let source = SourceFile(path: "w.conf", text: "a 1\r\nbad 2\r\n")
        let diagnostic = Diagnostic.error("unknown key `bad`", at: range(line: 2, columns: 1..<4, offsets: 5..<8))
        #expect(
            DiagnosticFormatter.format(diagnostic, source: source)
                == "w.conf:2:1: error: unknown key `bad`\n    bad 2\n    ^~~")
    }

    @Test func severalDiagnosticsAreSortedByLocationAndFollowedByASummary() {
        let source = SourceFile(path: "relay.conf", text: "route contact.craeted -> x\ntimout 5s\n")
        let diagnostics = [
            Diagnostic.error(
                "unknown key `timout`",
                at: range(line: 2, columns: 1..<7, offsets: 27..<33),
                suggestion: "did you mean `timeout`?"
            ),
            Diagnostic.warning(
                "unknown event type `contact.craeted`", at: range(line: 1, columns: 7..<22, offsets: 6..<21)),
            Diagnostic.error("unknown sink `x`", at: range(line: 1, columns: 26..<27, offsets: 25..<26)),
        ]
        let expected = """
            relay.conf:1:7: warning: unknown event type `contact.craeted`
                route contact.craeted -> x
                      ^~~~~~~~~~~~~~~
            relay.conf:1:26: error: unknown sink `x`
                route contact.craeted -> x
                                         ^
            relay.conf:2:1: error: unknown key `timout`
                timout 5s
                ^~~~~~
                suggestion: did you mean `timeout`?
            2 errors, 1 warning
            """
        #expect(DiagnosticFormatter.format(diagnostics, source: source, summary: true) == expected)
    }

    @Test func withoutSummaryOnlyTheDiagnosticsAreFormatted() {
        let source = SourceFile(path: "a.conf", text: "x\n")
        let diagnostics = [Diagnostic.note("defined here", at: range(line: 1, columns: 1..<2, offsets: 0..<1))]
        #expect(
            DiagnosticFormatter.format(diagnostics, source: source, summary: false)
                == "a.conf:1:1: note: defined here\n    x\n    ^")
    }

    @Test(arguments: [
        (0, 0, "0 errors, 0 warnings"),
        (1, 0, "1 error, 0 warnings"),
        (0, 1, "0 errors, 1 warning"),
        (3, 2, "3 errors, 2 warnings"),
    ])
    func theSummaryLineCountsErrorsAndWarningsButNotNotes(errors: Int, warnings: Int, expected: String) {
        let at = range(line: 1, columns: 1..<2, offsets: 0..<1)
        let diagnostics =
            Array(repeating: Diagnostic.error("e", at: at), count: errors)
            + Array(repeating: Diagnostic.warning("w", at: at), count: warnings)
            + [Diagnostic.note("n", at: at)]
        #expect(DiagnosticFormatter.summaryLine(for: diagnostics) == expected)
        let output = DiagnosticFormatter.format(
            diagnostics, source: SourceFile(path: "s.conf", text: "x"), summary: true)
        #expect(output.split(separator: "\n").last.map(String.init) == expected)
    }

    @Test func aParserErrorRendersEndToEnd() {
        let source = SourceFile(path: "relay.conf", text: "listen :8080\nheader X \"Bearer abc\n")
        let (_, diagnostics) = ConfigParser.parse(source)
        let expected = """
            relay.conf:2:10: error: unterminated string
                header X "Bearer abc
                         ^~~~~~~~~~~
                suggestion: add a closing `"`
            1 error, 0 warnings
            """
        #expect(DiagnosticFormatter.format(diagnostics, source: source, summary: true) == expected)
    }

    @Test func factoryMethodsSetTheSeverity() {
        let at = range(line: 1, columns: 1..<2, offsets: 0..<1)
        #expect(Diagnostic.error("m", at: at).severity == .error)
        #expect(Diagnostic.warning("m", at: at, suggestion: "s").severity == .warning)
        #expect(Diagnostic.warning("m", at: at, suggestion: "s").suggestion == "s")
        #expect(Diagnostic.note("m", at: at).severity == .note)
        #expect(Diagnostic.error("m", at: at).suggestion == nil)
        #expect(Diagnostic.error("bad", at: at).description == "1:1: error: bad")
    }

    @Test func aLongLineIsShownAsAWindowAroundTheColumnWithTheCaretOnTheSameCharacter() {
        let line = String(repeating: "a ", count: 5_000) + "BAD" + String(repeating: " b", count: 5_000)
        let source = SourceFile(path: "r.conf", text: line + "\n")
        let column = 10_001
        let diagnostic = Diagnostic.error(
            "bad word", at: range(line: 1, columns: column..<(column + 3), offsets: (column - 1)..<(column + 2)))
        let lines = DiagnosticFormatter.format(diagnostic, source: source).split(separator: "\n").map(String.init)
        #expect(lines[0] == "r.conf:1:10001: error: bad word")
        let shown = Array(lines[1].dropFirst(4))
        let caret = Array(lines[2].dropFirst(4))
        #expect(shown.count <= 242 && shown.first == "…" && shown.last == "…", "\(shown.count)")
        let at = try! #require(caret.firstIndex(of: "^"))
        #expect(String(shown[at..<(at + 3)]) == "BAD")
        #expect(caret[at...] == ["^", "~", "~"])
    }

    @Test func beyondTheLimitDiagnosticsAreCountedNotPrinted() {
        let source = SourceFile(path: "r.conf", text: String(repeating: "x\n", count: 300))
        let diagnostics = (1...300).map { line in
            Diagnostic.error("bad", at: range(line: line, columns: 1..<2, offsets: (2 * line - 2)..<(2 * line - 1)))
        }
        let text = DiagnosticFormatter.format(diagnostics, source: source, summary: true)
        #expect(text.split(separator: "\n").count { $0.hasSuffix(": error: bad") } == DiagnosticFormatter.defaultLimit)
        #expect(text.contains("… and 250 more not shown"))
        #expect(text.hasSuffix("300 errors, 0 warnings"))
    }
}
