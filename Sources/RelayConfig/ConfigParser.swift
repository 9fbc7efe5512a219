/// Parses configuration text into a `ConfigDocument`, reporting every syntax error instead of stopping at the first.
///
/// The grammar: a statement is a name word, argument tokens up to the end of the line or `;`, and an
/// optional `{ ... }` block of statements; the closing `}` also ends the statement, so
/// `sink audit sqlite { path /var/lib/a.db }` fits on one line. The parser knows no keys.
public enum ConfigParser {
    /// Blocks deeper than this are skipped with one error, so hostile input cannot exhaust the stack.
    static let maximumNesting = 64

    /// Parses `source` into every directive that could be recovered, plus all diagnostics in source order.
    public static func parse(_ source: SourceFile) -> (document: ConfigDocument, diagnostics: [Diagnostic]) {
        let (lexemes, lexerDiagnostics) = Lexer.tokenize(source.text)
        var parser = Parser(lexemes: lexemes)
        let directives = parser.parseStatements(depth: 0)
        let diagnostics = (lexerDiagnostics + parser.diagnostics).enumerated()
            .sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }
            .map(\.element)
        return (ConfigDocument(source: source, directives: directives), diagnostics)
    }
}

/// Recursive descent over lexemes; the last lexeme is always `.end`.
private struct Parser {
    private let lexemes: [Lexeme]
    private var position = 0
    private(set) var diagnostics: [Diagnostic] = []

    init(lexemes: [Lexeme]) {
        self.lexemes = lexemes
    }

    private var current: Lexeme { lexemes[position] }

    private mutating func advance() -> Lexeme {
        let lexeme = lexemes[position]
        if position < lexemes.count - 1 {
            position += 1
        }
        return lexeme
    }

    /// Statements up to a `}` (left for the caller when `depth > 0`) or the end of input.
    mutating func parseStatements(depth: Int) -> [Directive] {
        var directives: [Directive] = []
        while true {
            let lexeme = current
            switch lexeme.kind {
            case .end:
                return directives
            case .newline, .semicolon:
                _ = advance()
            case .closeBrace:
                if depth > 0 {
                    return directives
                }
                diagnostics.append(.error("unexpected `}` with no matching `{`", at: lexeme.range))
                _ = advance()
            case .openBrace:
                diagnostics.append(
                    .error(
                        "block has no directive name before it",
                        at: lexeme.range,
                        suggestion: "write the directive's name before `{`"
                    )
                )
                _ = advance()
                _ = parseBlock(openBrace: lexeme.range, owner: nil, depth: depth + 1)
            case .token(.word):
                directives.append(parseDirective(depth: depth))
            case .token(let kind):
                let found = kind == .string ? "a quoted string" : "`\(lexeme.text)`"
                diagnostics.append(.error("expected a directive name, found \(found)", at: lexeme.range))
                skipStatement(depth: depth)
            }
        }
    }

    private mutating func parseDirective(depth: Int) -> Directive {
        let nameLexeme = advance()
        let name = Token(kind: .word, text: nameLexeme.text, range: nameLexeme.range)
        var arguments: [Token] = []
        var block: Block?
        loop: while true {
            let lexeme = current
            switch lexeme.kind {
            case .token:
                if let token = lexeme.token {
                    arguments.append(token)
                }
                _ = advance()
            case .openBrace:
                _ = advance()
                block = parseBlock(openBrace: lexeme.range, owner: name.text, depth: depth + 1)
                break loop
            case .newline, .semicolon, .closeBrace, .end:
                break loop
            }
        }
        var end = arguments.last?.range.end ?? name.range.end
        if let block {
            end = block.closeBrace?.end ?? block.directives.last?.range.end ?? block.openBrace.end
        }
        return Directive(
            name: name, arguments: arguments, block: block, range: SourceRange(start: name.range.start, end: end))
    }

    /// The block whose `{` was just consumed, including its `}` when there is one.
    private mutating func parseBlock(openBrace: SourceRange, owner: String?, depth: Int) -> Block {
        guard depth <= ConfigParser.maximumNesting else {
            diagnostics.append(.error("blocks are nested more than \(ConfigParser.maximumNesting) deep", at: openBrace))
            return Block(openBrace: openBrace, directives: [], closeBrace: skipNestedBlock())
        }
        let directives = parseStatements(depth: depth)
        guard current.kind == .closeBrace else {
            let subject = owner.map { "the block of `\($0)`" } ?? "the block"
            diagnostics.append(
                .error(
                    "unclosed `{`: \(subject) has no matching `}`", at: openBrace,
                    suggestion: "add `}` to end the block")
            )
            return Block(openBrace: openBrace, directives: directives, closeBrace: nil)
        }
        return Block(openBrace: openBrace, directives: directives, closeBrace: advance().range)
    }

    /// Skips to the `}` matching an already consumed `{` without recursing; returns its range if found.
    private mutating func skipNestedBlock() -> SourceRange? {
        var open = 1
        while current.kind != .end {
            let lexeme = advance()
            if lexeme.kind == .openBrace {
                open += 1
            } else if lexeme.kind == .closeBrace {
                open -= 1
                if open == 0 {
                    return lexeme.range
                }
            }
        }
        return nil
    }

    /// Recovers from a bad statement start: skips to the end of the statement, still parsing a block for its errors.
    private mutating func skipStatement(depth: Int) {
        while true {
            let lexeme = current
            switch lexeme.kind {
            case .token:
                _ = advance()
            case .openBrace:
                _ = advance()
                _ = parseBlock(openBrace: lexeme.range, owner: nil, depth: depth + 1)
                return
            case .newline, .semicolon, .closeBrace, .end:
                return
            }
        }
    }
}
