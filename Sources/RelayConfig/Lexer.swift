/// One lexical unit: a public `Token`, or the structure (`;`, braces, line ends) that the parser consumes.
struct Lexeme {
    enum Kind: Equatable {
        case token(Token.Kind)
        case semicolon
        case openBrace
        case closeBrace
        case newline
        case end
    }

    var kind: Kind
    var text: String
    var range: SourceRange

    var token: Token? {
        guard case .token(let kind) = kind else {
            return nil
        }
        return Token(kind: kind, text: text, range: range)
    }
}

/// Splits source text into lexemes, reporting malformed strings and stray characters as it goes.
///
/// Works on UTF-8 bytes because every character with a meaning in the language is ASCII;
/// columns are then counted in Characters from the start of the line.
struct Lexer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    /// Where each Character of the current line starts, as UTF-8 offsets (from the line start, line break
    /// included); built once per line that has a non-ASCII byte, so columns never rescan the line.
    private var characterStarts: [Int]?
    /// Whether `characterStarts` is known for the current line, where nil then means the line is ASCII.
    private var lineIsIndexed = false
    private var lexemes: [Lexeme] = []
    private(set) var diagnostics: [Diagnostic] = []

    init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    static func tokenize(_ text: String) -> (lexemes: [Lexeme], diagnostics: [Diagnostic]) {
        var lexer = Lexer(text)
        lexer.run()
        return (lexer.lexemes, lexer.diagnostics)
    }

    private mutating func run() {
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ASCII.newline:
                emit(.newline, from: index, to: index + 1, text: "\n")
                index += 1
                line += 1
                lineStart = index
                lineIsIndexed = false
            case ASCII.space, ASCII.tab, ASCII.carriageReturn:
                index += 1
            case ASCII.hash:
                while index < bytes.count, bytes[index] != ASCII.newline {
                    index += 1
                }
            case ASCII.quote:
                lexString()
            case ASCII.semicolon:
                emitSingle(.semicolon)
            case ASCII.openBrace where placeholderLength(at: index) == nil:
                emitSingle(.openBrace)
            case ASCII.closeBrace:
                emitSingle(.closeBrace)
            case ASCII.comma:
                emitSingle(.token(.comma))
            case ASCII.openBracket:
                emitSingle(.token(.openBracket))
            case ASCII.closeBracket:
                emitSingle(.token(.closeBracket))
            case ASCII.openParen:
                emitSingle(.token(.openParen))
            case ASCII.closeParen:
                emitSingle(.token(.closeParen))
            default:
                let (scalar, length) = scalar(at: index)
                if Self.isStray(scalar) {
                    let range = range(from: index, to: index + length)
                    diagnostics.append(
                        .error("stray character \(Self.describe(scalar)) outside a quoted string", at: range))
                    index += length
                } else {
                    lexWord()
                }
            }
        }
        emit(.end, from: index, to: index, text: "")
    }

    private mutating func lexWord() {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.openBrace, let length = placeholderLength(at: index) {
                index += length
                continue
            }
            if ASCII.endsWord(byte) {
                break
            }
            let (scalar, length) = scalar(at: index)
            if Self.isStray(scalar) {
                break
            }
            index += length
        }
        emit(.token(.word), from: start, to: index, text: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func lexString() {
        let start = index
        var content: [UInt8] = []
        index += 1
        while true {
            guard index < bytes.count, bytes[index] != ASCII.newline else {
                // Recover by ending the string at the line end, so the directive keeps its argument.
                var end = index
                if end > start + 1, bytes[end - 1] == ASCII.carriageReturn {
                    end -= 1
                    content.removeLast()
                }
                diagnostics.append(
                    .error("unterminated string", at: range(from: start, to: end), suggestion: "add a closing `\"`"))
                emit(.token(.string), from: start, to: end, text: String(decoding: content, as: UTF8.self))
                return
            }
            let byte = bytes[index]
            if byte == ASCII.quote {
                index += 1
                emit(.token(.string), from: start, to: index, text: String(decoding: content, as: UTF8.self))
                return
            }
            if byte == ASCII.backslash, index + 1 < bytes.count, !ASCII.isLineBreak(bytes[index + 1]) {
                let next = bytes[index + 1]
                if let unescaped = ASCII.unescaped(next) {
                    content.append(unescaped)
                    index += 2
                } else {
                    let (scalar, length) = scalar(at: index + 1)
                    diagnostics.append(
                        .error(
                            "unknown escape sequence `\\\(Character(scalar))` in string",
                            at: range(from: index, to: index + 1 + length),
                            suggestion: "write `\\\\` for a backslash; known escapes are `\\\"` `\\\\` `\\n` `\\t`"
                        )
                    )
                    content.append(byte)
                    index += 1
                }
                continue
            }
            content.append(byte)
            index += 1
        }
    }

    /// The byte length of a `{NAME}` placeholder starting at `position`, or nil if there is none.
    private func placeholderLength(at position: Int) -> Int? {
        guard position + 2 < bytes.count, bytes[position] == ASCII.openBrace, ASCII.isLetter(bytes[position + 1]) else {
            return nil
        }
        var cursor = position + 2
        while cursor < bytes.count, ASCII.isIdentifierPart(bytes[cursor]) {
            cursor += 1
        }
        guard cursor < bytes.count, bytes[cursor] == ASCII.closeBrace else {
            return nil
        }
        return cursor + 1 - position
    }

    private mutating func emitSingle(_ kind: Lexeme.Kind) {
        emit(kind, from: index, to: index + 1, text: String(UnicodeScalar(bytes[index])))
        index += 1
    }

    private mutating func emit(_ kind: Lexeme.Kind, from start: Int, to end: Int, text: String) {
        lexemes.append(Lexeme(kind: kind, text: text, range: range(from: start, to: end)))
    }

    /// A range within the current line.
    private mutating func range(from start: Int, to end: Int) -> SourceRange {
        SourceRange(start: location(at: start), end: location(at: end))
    }

    ///
    /// The column counts the Characters before `offset` on the line. Counting them anew for every lexeme made a
    /// long line quadratic, so the line's Character boundaries are found once and searched.
    private mutating func location(at offset: Int) -> SourceLocation {
        if !lineIsIndexed {
            indexLine()
        }
        let before = offset - lineStart
        guard let starts = characterStarts else {
            return SourceLocation(line: line, column: before + 1, offset: offset)
        }
        // Grapheme breaks depend only on what precedes them, so the Characters of the text up to `offset` are
        // exactly the line's Characters that start before `offset`.
        var low = 0
        var high = starts.count
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] < before {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return SourceLocation(line: line, column: low + 1, offset: offset)
    }

    /// Finds the current line's Character boundaries if it has a non-ASCII byte; ASCII lines need none.
    private mutating func indexLine() {
        lineIsIndexed = true
        characterStarts = nil
        var end = lineStart
        var isASCII = true
        while end < bytes.count {
            let byte = bytes[end]
            end += 1
            if byte >= 0x80 {
                isASCII = false
            } else if byte == ASCII.newline {
                break
            }
        }
        guard !isASCII else { return }
        var starts: [Int] = []
        var position = 0
        for character in String(decoding: bytes[lineStart..<end], as: UTF8.self) {
            starts.append(position)
            position += character.utf8.count
        }
        characterStarts = starts
    }

    /// Decodes the scalar at `position`; the bytes came from a Swift `String`, so they are valid UTF-8.
    private func scalar(at position: Int) -> (Unicode.Scalar, Int) {
        let lead = bytes[position]
        if lead < 0x80 {
            return (Unicode.Scalar(lead), 1)
        }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        var value = UInt32(lead) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for offset in 1..<length where position + offset < bytes.count {
            value = value << 6 | UInt32(bytes[position + offset] & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// Invisible characters that would silently change the meaning of a line if taken as part of a word.
    private static func isStray(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: false
        case 0x00..<0x20, 0x7F..<0xA0: true
        case 0x200B, 0x2060, 0xFEFF: true
        default: scalar.value >= 0x80 && scalar.properties.isWhitespace
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        guard let name = scalar.properties.name else {
            return code
        }
        return "\(code) (\(name.lowercased()))"
    }
}

/// The ASCII bytes the lexer looks at.
private enum ASCII {
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let tab = UInt8(ascii: "\t")
    static let space = UInt8(ascii: " ")
    static let hash = UInt8(ascii: "#")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openParen = UInt8(ascii: "(")
    static let closeParen = UInt8(ascii: ")")

    static func endsWord(_ byte: UInt8) -> Bool {
        switch byte {
        case space, tab, carriageReturn, newline, quote, semicolon, comma, openBrace, closeBrace, openBracket,
            closeBracket, openParen, closeParen:
            true
        default:
            false
        }
    }

    static func isLineBreak(_ byte: UInt8) -> Bool {
        byte == newline || byte == carriageReturn
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isIdentifierPart(_ byte: UInt8) -> Bool {
        isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
    }

    static func unescaped(_ byte: UInt8) -> UInt8? {
        switch byte {
        case quote: quote
        case backslash: backslash
        case UInt8(ascii: "n"): newline
        case UInt8(ascii: "t"): tab
        default: nil
        }
    }
}
