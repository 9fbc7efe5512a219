import RelayConfig
import Testing

@Suite("Parser: robustness on generated input")
struct ParserRobustnessTests {
    /// Fragments that exercise every lexer path, including multi-byte, stray and unbalanced input.
    private static let fragments = [
        "a", "b1", "--t={tenant}", " ", "\t", "\n", "\r\n", "{", "}", "{x}", "\"", "\\", "\\n", "#", ";", ",", "[", "]",
        "(", ")", "é", "😀", "e\u{301}", "\u{A0}", "\u{7}",
    ]

    /// A small deterministic generator so a failure is reproducible from its seed.
    private struct Generator {
        var state: UInt64
        mutating func next(below bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private static func checkLocation(_ location: RelayConfig.SourceLocation, in bytes: [UInt8]) {
        #expect(location.offset >= 0 && location.offset <= bytes.count)
        let prefix = bytes[..<location.offset]
        let lineStart = (prefix.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        #expect(location.line == prefix.count { $0 == UInt8(ascii: "\n") } + 1)
        #expect(location.column == String(decoding: bytes[lineStart..<location.offset], as: UTF8.self).count + 1)
    }

    private static func tokens(in directives: [Directive]) -> [Token] {
        directives.flatMap { [$0.name] + $0.arguments + tokens(in: $0.block?.directives ?? []) }
    }

    @Test(arguments: 0..<40)
    func everyRangeAgreesWithTheSourceAndWordsSliceBackToTheirText(seed: Int) {
        var generator = Generator(state: UInt64(seed))
        for _ in 0..<10 {
            let count = generator.next(below: 60)
            let text = (0..<count).map { _ in Self.fragments[generator.next(below: Self.fragments.count)] }.joined()
            let bytes = Array(text.utf8)
            let (document, diagnostics) = parse(text)
            for token in Self.tokens(in: document.directives) {
                Self.checkLocation(token.range.start, in: bytes)
                Self.checkLocation(token.range.end, in: bytes)
                if token.kind == .word {
                    let slice = String(
                        decoding: bytes[token.range.start.offset..<token.range.end.offset], as: UTF8.self)
                    #expect(slice == token.text, "seed \(seed): \(text.debugDescription)")
                }
            }
            for diagnostic in diagnostics {
                Self.checkLocation(diagnostic.range.start, in: bytes)
                Self.checkLocation(diagnostic.range.end, in: bytes)
            }
        }
    }

    /// Columns on lines where a lexeme boundary falls inside a Character (a combining mark after a quote or a
    /// brace) still count the Characters of the text before the location, as for the rest of the line.
    @Test(arguments: ["x \"a\"\u{301}b c", "{\u{301}} y", "é\r\n z", "a;\u{200D}b \"\u{1F1F8}\u{1F1EA}\" \u{1F1EA}"])
    func columnsCountCharactersWhereALexemeStartsInsideOne(text: String) {
        let bytes = Array(text.utf8)
        let (document, diagnostics) = parse(text)
        for token in Self.tokens(in: document.directives) {
            Self.checkLocation(token.range.start, in: bytes)
            Self.checkLocation(token.range.end, in: bytes)
        }
        for diagnostic in diagnostics {
            Self.checkLocation(diagnostic.range.start, in: bytes)
            Self.checkLocation(diagnostic.range.end, in: bytes)
        }
    }

    /// Lexing is linear in the length of a line: it used to count the line's Characters again for every lexeme, so
    /// a line of 400,000 words took minutes; here it takes well under a second, and the bound leaves a wide margin.
    @Test(arguments: ["w ", "é "])
    func aVeryLongLineIsLexedInLinearTime(word: String) throws {
        let count = 200_000
        let text = "route " + String(repeating: word, count: count) + "\n"
        let clock = ContinuousClock()
        let start = clock.now
        let (document, diagnostics) = parse(text)
        let elapsed = clock.now - start
        #expect(diagnostics.isEmpty)
        let arguments = try #require(document.directives.first?.arguments)
        #expect(arguments.count == count)
        #expect(arguments.last?.range.start.column == 7 + 2 * (count - 1))
        #expect(arguments.last?.range.end.offset == text.utf8.count - 2)
        #expect(elapsed < .seconds(20), "a \(text.utf8.count)-byte line took \(elapsed)")
    }
}
