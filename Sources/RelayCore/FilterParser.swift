import EngageEvents
import Foundation
import RelayConfig

/// Parses the text of a `where` expression into a ``RouteFilter``, reporting mistakes with exact locations.
///
/// The text is re-read from the config source (one line), so operators may touch their operands
/// (`payload.balance>1000`) and paths may index arrays (`payload.items[0].sku`).
public struct FilterParser {
    enum Kind: Equatable {
        case field(String)
        case string(String)
        case number(Decimal)
        case op(FilterOperator)
        case keyword(String)
        case open, close, openBracket, closeBracket, comma
        case end
    }

    struct Lexeme {
        var kind: Kind
        var range: SourceRange
        var text: String
    }

    /// Parentheses and `not`s deeper than this are an error, so hostile input cannot exhaust the stack.
    public static let maximumNesting = 64
    /// More conditions than this in one filter are an error: `a and b and c` compiles to a tree as deep as it is
    /// long, which evaluation, printing and comparison walk recursively.
    public static let maximumConditions = 256

    static let keywords: Set<String> = ["and", "or", "not", "in", "exists", "true", "false", "null"]
    static let fields = ["type", "tenant", "id", "payload"]

    private var lexemes: [Lexeme] = []
    private var position = 0
    /// The `(` and `not` levels open at the current position.
    private var depth = 0
    /// The conditions parsed so far.
    private var conditions = 0
    private(set) var diagnostics: [Diagnostic] = []

    /// Parses `text`, which starts at `start` in the config file.
    public static func parse(_ text: Substring, at start: SourceLocation) -> (RouteFilter?, [Diagnostic]) {
        var parser = FilterParser()
        parser.lex(text, at: start)
        guard parser.diagnostics.isEmpty else { return (nil, parser.diagnostics) }
        if parser.current.kind == .end {
            parser.error("`where` needs an expression", at: parser.current.range, suggestion: "e.g. where payload.balance > 1000")
            return (nil, parser.diagnostics)
        }
        let filter = parser.parseOr()
        if parser.diagnostics.isEmpty && parser.current.kind != .end {
            parser.error(
                "unexpected `\(parser.current.text)` in the filter", at: parser.current.range,
                suggestion: "join conditions with `and` / `or`")
        }
        return parser.diagnostics.isEmpty ? (filter, []) : (nil, parser.diagnostics)
    }

    // MARK: lexing

    private mutating func lex(_ text: Substring, at start: SourceLocation) {
        var location = start
        var index = text.startIndex
        func advance(_ character: Character) {
            location.column += 1
            location.offset += character.utf8.count
        }
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace {
                advance(character)
                index = text.index(after: index)
                continue
            }
            let begin = location
            var end = index
            var kind: Kind
            switch character {
            case "(": kind = .open
            case ")": kind = .close
            case "[": kind = .openBracket
            case "]": kind = .closeBracket
            case ",": kind = .comma
            case "\"":
                var value = ""
                var cursor = text.index(after: index)
                var closed = false
                while cursor < text.endIndex {
                    let next = text[cursor]
                    if next == "\"" {
                        closed = true
                        break
                    }
                    if next == "\\", text.index(after: cursor) < text.endIndex {
                        cursor = text.index(after: cursor)
                        let escaped = text[cursor]
                        value.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped)
                    } else {
                        value.append(next)
                    }
                    cursor = text.index(after: cursor)
                }
                guard closed else {
                    error("unterminated string in the filter", at: SourceRange(at: begin))
                    return
                }
                end = cursor
                kind = .string(value)
            case "=", "!", "<", ">":
                let next = text.index(after: index) < text.endIndex ? text[text.index(after: index)] : nil
                if next == "=" {
                    end = text.index(after: index)
                    kind = .op(FilterOperator(rawValue: String(character) + "=")!)
                } else if character == "<" || character == ">" {
                    kind = .op(character == "<" ? .less : .greater)
                } else {
                    error(
                        "`\(character)` is not an operator", at: SourceRange(start: begin, end: location.advanced(by: character)),
                        suggestion: character == "=" ? "write `==`" : "write `!=`, or `not` before a condition")
                    return
                }
            default:
                if character.isNumber || character == "-" || character == "+" {
                    end = Self.scan(text, from: index) { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "-" || $0 == "+" }
                    let word = String(text[index...end])
                    guard let number = FilterOperator.strictDecimal(word) else {
                        error("`\(word)` is not a number", at: range(begin, text[index...end]))
                        return
                    }
                    kind = .number(number)
                } else if character.isLetter || character == "_" {
                    end = Self.scanField(text, from: index)
                    let word = String(text[index...end])
                    kind = Self.keywords.contains(word) ? .keyword(word) : .field(word)
                } else {
                    error("unexpected `\(character)` in the filter", at: SourceRange(start: begin, end: location.advanced(by: character)))
                    return
                }
            }
            let lexemeText = text[index...end]
            for scanned in lexemeText { advance(scanned) }
            lexemes.append(Lexeme(kind: kind, range: SourceRange(start: begin, end: location), text: String(lexemeText)))
            index = text.index(after: end)
        }
        lexemes.append(Lexeme(kind: .end, range: SourceRange(at: location), text: "end of the filter"))
    }

    private func range(_ begin: SourceLocation, _ text: Substring) -> SourceRange {
        var end = begin
        for character in text { end = end.advanced(by: character) }
        return SourceRange(start: begin, end: end)
    }

    /// The index of the last character of the run that starts at `start`.
    private static func scan(_ text: Substring, from start: Substring.Index, while accepts: (Character) -> Bool) -> Substring.Index {
        var last = start
        var cursor = text.index(after: start)
        while cursor < text.endIndex, accepts(text[cursor]) {
            last = cursor
            cursor = text.index(after: cursor)
        }
        return last
    }

    /// A field or path: letters, digits, `_`, `-`, `.`, and `[N]` indexes written right after a name.
    private static func scanField(_ text: Substring, from start: Substring.Index) -> Substring.Index {
        var last = start
        var cursor = text.index(after: start)
        while cursor < text.endIndex {
            let character = text[cursor]
            if character.isLetter || character.isNumber || character == "_" || character == "-" || character == "." {
                last = cursor
                cursor = text.index(after: cursor)
            } else if character == "[" {
                var probe = text.index(after: cursor)
                while probe < text.endIndex, text[probe].isNumber { probe = text.index(after: probe) }
                guard probe < text.endIndex, text[probe] == "]", probe > text.index(after: cursor) else { break }
                last = probe
                cursor = text.index(after: probe)
            } else {
                break
            }
        }
        return last
    }

    // MARK: parsing

    private var current: Lexeme { lexemes[min(position, lexemes.count - 1)] }

    private mutating func take() -> Lexeme {
        let lexeme = current
        position += 1
        return lexeme
    }

    private mutating func parseOr() -> RouteFilter? {
        guard var left = parseAnd() else { return nil }
        while current.kind == .keyword("or") {
            _ = take()
            guard let right = parseAnd() else { return nil }
            left = .or(left, right)
        }
        return left
    }

    private mutating func parseAnd() -> RouteFilter? {
        guard var left = parseNot() else { return nil }
        while current.kind == .keyword("and") {
            _ = take()
            guard let right = parseNot() else { return nil }
            left = .and(left, right)
        }
        return left
    }

    private mutating func parseNot() -> RouteFilter? {
        if current.kind == .keyword("not") {
            let keyword = take()
            guard enterNesting(at: keyword.range) else { return nil }
            defer { depth -= 1 }
            return parseNot().map { .not($0) }
        }
        return parsePrimary()
    }

    private mutating func parsePrimary() -> RouteFilter? {
        let lexeme = take()
        switch lexeme.kind {
        case .open:
            guard enterNesting(at: lexeme.range) else { return nil }
            defer { depth -= 1 }
            guard let inner = parseOr() else { return nil }
            guard current.kind == .close else {
                error("expected `)`", at: current.range, suggestion: "close the `(` at column \(lexeme.range.start.column)")
                return nil
            }
            _ = take()
            return inner
        case .field(let name):
            conditions += 1
            guard conditions <= Self.maximumConditions else {
                error(
                    "the filter has more than \(Self.maximumConditions) conditions", at: lexeme.range,
                    suggestion: "match a list of values with `in [...]`, or split the condition over several routes")
                return nil
            }
            guard let field = field(name, at: lexeme.range) else { return nil }
            return condition(on: field, at: lexeme.range)
        default:
            error(
                "expected a field (type, tenant, id, payload.PATH), found `\(lexeme.text)`", at: lexeme.range,
                suggestion: lexeme.kind.isLiteral ? "put the field on the left: `payload.x == \(lexeme.text)`" : nil)
            return nil
        }
    }

    /// Opens one more level of `(` or `not`, or reports at `range` that the limit is reached.
    private mutating func enterNesting(at range: SourceRange) -> Bool {
        guard depth < Self.maximumNesting else {
            error(
                "the filter nests parentheses and `not` more than \(Self.maximumNesting) deep", at: range,
                suggestion: "remove redundant parentheses, or split the condition over several routes")
            return false
        }
        depth += 1
        return true
    }

    private mutating func condition(on field: FilterField, at fieldRange: SourceRange) -> RouteFilter? {
        let lexeme = take()
        switch lexeme.kind {
        case .keyword("exists"):
            return .exists(field)
        case .keyword("in"):
            guard current.kind == .openBracket else {
                error("expected `[` after `in`", at: current.range, suggestion: "write `in [\"a\", \"b\"]`")
                return nil
            }
            _ = take()
            var literals: [FilterLiteral] = []
            while true {
                guard let literal = literal(for: field, operator: .equal) else { return nil }
                literals.append(literal)
                if current.kind == .comma {
                    _ = take()
                    continue
                }
                guard current.kind == .closeBracket else {
                    error("expected `,` or `]` in the list", at: current.range)
                    return nil
                }
                _ = take()
                return .oneOf(field, literals)
            }
        case .op(let op):
            return literal(for: field, operator: op).map { .compare(field, op, $0) }
        default:
            error(
                "expected an operator after `\(field)`, found `\(lexeme.text)`", at: lexeme.range,
                suggestion: "use ==, !=, <, <=, >, >=, in [...] or exists")
            return nil
        }
    }

    private mutating func literal(for field: FilterField, operator op: FilterOperator) -> FilterLiteral? {
        let lexeme = take()
        let literal: FilterLiteral
        switch lexeme.kind {
        case .string(let text): literal = .string(text)
        case .number(let number): literal = .number(number)
        case .keyword("true"): literal = .boolean(true)
        case .keyword("false"): literal = .boolean(false)
        case .keyword("null"): literal = .null
        case .field(let word):
            error(
                "expected a value, found `\(word)`", at: lexeme.range,
                suggestion: "quote strings: \"\(word)\"")
            return nil
        default:
            error("expected a value, found `\(lexeme.text)`", at: lexeme.range)
            return nil
        }
        if field.isString, !(literal.isString) {
            error(
                "`\(field)` is a string; \(literal) can never match it", at: lexeme.range,
                suggestion: "quote the value: \"\(lexeme.text)\"")
            return nil
        }
        if op.isOrdering, case .boolean = literal {
            error("`\(op.rawValue)` cannot order booleans", at: lexeme.range, suggestion: "use == or !=")
            return nil
        }
        if op.isOrdering, case .null = literal {
            error("`\(op.rawValue)` cannot order null", at: lexeme.range, suggestion: "use == null, != null or exists")
            return nil
        }
        return literal
    }

    private mutating func field(_ name: String, at range: SourceRange) -> FilterField? {
        switch name {
        case "type": return .type
        case "tenant": return .tenant
        case "id": return .id
        default: break
        }
        guard name == "payload" || name.hasPrefix("payload.") || name.hasPrefix("payload[") else {
            error(
                "unknown field `\(name)`", at: range,
                suggestion: closestMatch(to: name, among: Self.fields).map { "did you mean `\($0)`?" }
                    ?? "filters look at type, tenant, id or payload.PATH")
            return nil
        }
        do throws(PayloadPath.SyntaxError) {
            return .payload(try PayloadPath(validating: name))
        } catch .emptyKey {
            self.error("empty key in path `\(name)`", at: range, suggestion: "write payload.key.subkey")
        } catch {
            self.error("malformed path `\(name)`", at: range)
        }
        return nil
    }

    private mutating func error(_ message: String, at range: SourceRange, suggestion: String? = nil) {
        diagnostics.append(.error(message, at: range, suggestion: suggestion))
    }
}

extension FilterParser.Kind {
    var isLiteral: Bool {
        switch self {
        case .string, .number, .keyword("true"), .keyword("false"), .keyword("null"): true
        default: false
        }
    }
}

extension FilterLiteral {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

extension SourceLocation {
    /// The location just after `character` on the same line.
    func advanced(by character: Character) -> SourceLocation {
        SourceLocation(line: line, column: column + 1, offset: offset + character.utf8.count)
    }
}
