import RelayConfig
import Testing

@Suite("Lexer: tokens and their ranges")
struct TokenTests {
    /// The arguments of the only directive in `text`.
    private func arguments(_ text: String) -> [Token] {
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty, "unexpected diagnostics: \(diagnostics)")
        return document.directives.first?.arguments ?? []
    }

    @Test func commasAreTokensWithExactRanges() {
        let tokens = arguments("route a, b -> x, y")
        #expect(tokens.map(\.kind) == [.word, .comma, .word, .word, .word, .comma, .word])
        #expect(tokens.map(\.text) == ["a", ",", "b", "->", "x", ",", "y"])
        #expect(
            tokens.map(\.range) == [
                range(line: 1, columns: 7..<8, offsets: 6..<7),
                range(line: 1, columns: 8..<9, offsets: 7..<8),
                range(line: 1, columns: 10..<11, offsets: 9..<10),
                range(line: 1, columns: 12..<14, offsets: 11..<13),
                range(line: 1, columns: 15..<16, offsets: 14..<15),
                range(line: 1, columns: 16..<17, offsets: 15..<16),
                range(line: 1, columns: 18..<19, offsets: 17..<18),
            ]
        )
    }

    @Test func bracketsAndParenthesesOfAFilterAreTheirOwnTokens() {
        let tokens = arguments(#"r x where payload.id in ["a","b"] and (x == 1)"#)
        #expect(
            tokens.map(\.kind) == [
                .word, .word, .word, .word, .openBracket, .string, .comma, .string, .closeBracket, .word,
                .openParen, .word, .word, .word, .closeParen,
            ]
        )
        #expect(
            tokens.map(\.text) == [
                "x", "where", "payload.id", "in", "[", "a", ",", "b", "]", "and", "(", "x", "==", "1", ")",
            ])
        #expect(tokens[4].range == range(line: 1, columns: 25..<26, offsets: 24..<25))
        #expect(tokens[5].range == range(line: 1, columns: 26..<29, offsets: 25..<28))
        #expect(tokens[14].range == range(line: 1, columns: 46..<47, offsets: 45..<46))
    }

    @Test func adjacencyOfTokensIsVisibleFromTheirRanges() {
        let tokens = arguments("x items[0] items [0]")
        #expect(tokens.map(\.text) == ["items", "[", "0", "]", "items", "[", "0", "]"])
        #expect(tokens[0].isAdjacent(to: tokens[1]))
        #expect(tokens[1].isAdjacent(to: tokens[2]))
        #expect(tokens[2].isAdjacent(to: tokens[3]))
        #expect(!tokens[3].isAdjacent(to: tokens[4]))
        #expect(!tokens[4].isAdjacent(to: tokens[5]))
    }

    @Test func columnsCountCharactersWhileOffsetsCountUTF8Bytes() {
        // é is 2 bytes, € 3, 😀 4: three characters, nine bytes.
        let tokens = arguments("tag é€😀 [x]")
        #expect(tokens.map(\.text) == ["é€😀", "[", "x", "]"])
        #expect(tokens[0].range == range(line: 1, columns: 5..<8, offsets: 4..<13))
        #expect(tokens[1].range == range(line: 1, columns: 9..<10, offsets: 14..<15))
        #expect(tokens[2].range == range(line: 1, columns: 10..<11, offsets: 15..<16))
        #expect(tokens[3].range == range(line: 1, columns: 11..<12, offsets: 16..<17))
    }

    @Test func aCharacterMadeOfSeveralScalarsIsOneColumn() {
        // "e" + combining acute accent, and a family emoji joined by zero-width joiners: one Character each.
        let tokens = arguments("k e\u{301} \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} ,")
        #expect(tokens.count == 3)
        #expect(tokens[0].range == range(line: 1, columns: 3..<4, offsets: 2..<5))
        #expect(tokens[1].range == range(line: 1, columns: 5..<6, offsets: 6..<24))
        #expect(tokens[2].range == range(line: 1, columns: 7..<8, offsets: 25..<26))
    }

    @Test func columnsRestartOnEachLineWhileOffsetsCountFromTheStartOfTheFile() {
        let (document, _) = parse("a é\nb [c]\n")
        let second = document.directives[1]
        #expect(second.name.range == range(line: 2, columns: 1..<2, offsets: 5..<6))
        #expect(second.arguments[0].range == range(line: 2, columns: 3..<4, offsets: 7..<8))
    }

    @Test func crlfLineEndingsAreLineBreaks() {
        let (document, diagnostics) = parse("a 1\r\nb \"two\"\r\n")
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.argumentTexts) == [["1"], ["two"]])
        #expect(document.directives[0].arguments[0].range == range(line: 1, columns: 3..<4, offsets: 2..<3))
        #expect(document.directives[1].arguments[0].range == range(line: 2, columns: 3..<8, offsets: 7..<12))
    }

    @Test func aQuotedStringIsOneTokenWhoseRangeIncludesTheQuotes() {
        let tokens = arguments(#"header Authorization "Bearer ${env:ERP_TOKEN}""#)
        #expect(tokens.map(\.kind) == [.word, .string])
        #expect(tokens[1].text == "Bearer ${env:ERP_TOKEN}")
        #expect(tokens[1].range == range(line: 1, columns: 22..<47, offsets: 21..<46))
    }

    @Test func escapesInQuotedStringsAreUnescaped() {
        let tokens = arguments(#"x "a\"b\\c\nd\te" """#)
        #expect(tokens.map(\.kind) == [.string, .string])
        #expect(tokens[0].text == "a\"b\\c\nd\te")
        #expect(tokens[0].range == range(line: 1, columns: 3..<18, offsets: 2..<17))
        #expect(tokens[1].text == "")
    }

    @Test func aQuotedStringCanHoldSeparatorsBracesAndAHash() {
        let tokens = arguments(#"x "a # b; {c}, [d]" e"#)
        #expect(tokens.map(\.text) == ["a # b; {c}, [d]", "e"])
    }

    @Test func aHashInsideAWordIsPartOfTheWord() {
        let tokens = arguments("key a#b c# # the comment")
        #expect(tokens.map(\.text) == ["a#b", "c#"])
    }

    @Test func aHashRightAfterAStringOrPunctuationStartsAComment() {
        #expect(arguments(##"k "v"# comment"##).map(\.text) == ["v"])
        #expect(arguments("k a,# comment").map(\.text) == ["a", ","])
    }

    @Test func aHashAtTheStartOfALineCommentsOutTheWholeLine() {
        let (document, diagnostics) = parse("#a 1\na 2 #b 3\n")
        #expect(diagnostics.isEmpty)
        #expect(document.directives.map(\.argumentTexts) == [["2"]])
    }

    @Test func aWordEndsAtAQuoteSoTheStringThatFollowsIsAdjacent() {
        let tokens = arguments(#"x key="v""#)
        #expect(tokens.map(\.kind) == [.word, .string])
        #expect(tokens.map(\.text) == ["key=", "v"])
        #expect(tokens[0].isAdjacent(to: tokens[1]))
    }

    @Test(arguments: [
        ("command /bin/welcome --tenant={tenant}", ["/bin/welcome", "--tenant={tenant}"]),
        ("command --tenant {tenant}", ["--tenant", "{tenant}"]),
        ("path /data/{type}.jsonl", ["/data/{type}.jsonl"]),
        ("path /data/{tenant}/{type}-{id}.jsonl", ["/data/{tenant}/{type}-{id}.jsonl"]),
        ("name {contactId}{type_2}", ["{contactId}{type_2}"]),
    ])
    func aPlaceholderIsAbsorbedIntoItsWord(text: String, expected: [String]) {
        let tokens = arguments(text)
        #expect(tokens.map(\.text) == expected)
        #expect(tokens.allSatisfy { $0.kind == .word })
    }

    @Test func aPlaceholderTokenHasTheRangeOfTheWholeWord() {
        let tokens = arguments("command --tenant={tenant} x")
        #expect(tokens[0].range == range(line: 1, columns: 9..<26, offsets: 8..<25))
    }

    @Test(arguments: ["a {1x}", "a { x}", "a {x y}", "a {x-y}", "a {}"])
    func aBraceThatIsNotAPlaceholderOpensABlock(text: String) {
        let (document, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        #expect(document.directives.count == 1)
        #expect(document.directives[0].arguments.isEmpty)
        #expect(document.directives[0].block != nil)
    }

    @Test func aDollarBraceOutsideQuotesOpensABlockSoTemplatesMustBeQuoted() {
        let (document, _) = parse("header X ${env:TOKEN}")
        #expect(document.directives[0].argumentTexts == ["X", "$"])
        #expect(document.directives[0].childNames == ["env:TOKEN"])
    }

    @Test func theDirectiveNameTokenIsAWordWithItsRange() {
        let (document, _) = parse("\n   timeout 10s")
        let name = document.directives[0].name
        #expect(name.kind == .word)
        #expect(name.text == "timeout")
        #expect(name.range == range(line: 2, columns: 4..<11, offsets: 4..<11))
    }
}
