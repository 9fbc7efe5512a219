/// One argument-level token of a directive, with its exact source range.
public struct Token: Sendable, Hashable {
    /// What a token is; braces and `;` are structure and never appear as tokens.
    public enum Kind: Sendable, Hashable {
        /// A bare word such as `10s`, `contact.*`, `->`, or `--tenant={tenant}`.
        case word
        /// A double-quoted string; `Token.text` holds the unescaped content.
        case string
        /// `,`
        case comma
        /// `[`
        case openBracket
        /// `]`
        case closeBracket
        /// `(`
        case openParen
        /// `)`
        case closeParen
    }

    /// The kind of token.
    public var kind: Kind
    /// The token's text: the word itself, a string's unescaped content, or the punctuation character.
    public var text: String
    /// Where the token is, quotes included for strings.
    public var range: SourceRange

    /// Creates a token.
    public init(kind: Kind, text: String, range: SourceRange) {
        self.kind = kind
        self.text = text
        self.range = range
    }

    /// Whether `next` starts exactly where this token ends, with no space between (as in `items[0]`).
    public func isAdjacent(to next: Token) -> Bool {
        range.end.offset == next.range.start.offset
    }
}
