import EngageEvents
import Foundation

/// A projected column from a `column NAME payload.PATH [text|integer|real|numeric]` line: a value lifted out of the
/// payload into its own column, so queries need no JSON functions. The table sinks (`sqlite`, `postgres`) share
/// its parsing and its projection rules; each maps ``Value`` to its database's types.
public struct ProjectedColumn: Sendable, Hashable {
    /// How a projected value is typed.
    public enum ValueType: String, Sendable, Hashable, CaseIterable {
        /// Strings as they are, numbers as their exact decimal text, booleans as `true`/`false`, objects and arrays
        /// as compact JSON.
        case text
        /// Whole numbers (or strings holding one) within 64 bits; booleans as 1/0.
        case integer
        /// Numbers (or strings holding one) as 64-bit floating point.
        case real
        /// Numbers (or strings holding one) as their exact decimal text (`2500.75`), never rounded.
        case numeric

    }

    /// A projected value, before a database's own types.
    public enum Value: Sendable, Hashable {
        /// Text.
        case text(String)
        /// A 64-bit integer.
        case integer(Int64)
        /// A 64-bit float.
        case real(Double)
        /// An exact decimal number, as its text.
        case decimal(String)
    }

    /// The column name (an SQL identifier).
    public let name: String
    /// Where the value comes from.
    public let path: PayloadPath
    /// How the value is stored.
    public let type: ValueType

    /// The names of the columns every table has; projected columns may not reuse them (in any case).
    public static let builtInNames = [
        "event_id", "message_id", "type", "tenant", "contact_id", "received_at", "payload", "body",
    ]

    /// Parses the words of one `column` line, or throws an error naming the mistake.
    public init(words: [String]) throws(SinkError) {
        let usage = "write `column NAME payload.PATH [\(ValueType.allCases.map(\.rawValue).joined(separator: "|"))]`"
        guard words.count == 2 || words.count == 3 else {
            throw SinkError("`column \(words.joined(separator: " "))` has \(words.count) words; \(usage)")
        }
        guard ProjectedColumn.isIdentifier(words[0]) else {
            throw SinkError("column name `\(words[0])` is not an SQL identifier ([A-Za-z_][A-Za-z0-9_]*); \(usage)")
        }
        if ProjectedColumn.builtInNames.contains(where: { $0.caseInsensitiveCompare(words[0]) == .orderedSame }) {
            throw SinkError(
                "column name `\(words[0])` clashes with a built-in column (\(ProjectedColumn.builtInNames.joined(separator: ", ")))"
            )
        }
        guard let path = PayloadPath(parsing: words[1]) else {
            throw SinkError("`\(words[1])` is not a payload path such as `payload.balance` or `payload.items[0].sku`")
        }
        var type = ValueType.text
        if words.count == 3 {
            guard let parsed = ValueType(rawValue: words[2].lowercased()) else {
                throw SinkError("unknown column type `\(words[2])`; \(usage)")
            }
            type = parsed
        }
        self.name = words[0]
        self.path = path
        self.type = type
    }

    /// Whether `text` is an SQL identifier this sink accepts (`[A-Za-z_][A-Za-z0-9_]*`).
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return text.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (48...57).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (65...90).contains(byte) || (97...122).contains(byte) }

    /// The value to store for `payload`: nil (`NULL`) when the path is missing, the value is `null`, or it cannot be
    /// represented in the column's type (the whole payload is always in the `payload` column).
    public func value(in payload: JSONValue) -> Value? {
        guard let value = path.value(in: payload) else { return nil }
        switch (type, value) {
        case (_, .null): return nil
        case (.text, .string(let text)): return .text(text)
        case (.text, .number(let number)): return .text(number.description)
        case (.text, .bool(let flag)): return .text(flag ? "true" : "false")
        case (.text, .array), (.text, .object): return .text(ProjectedColumn.compactJSON(value) ?? "")
        case (.integer, .bool(let flag)): return .integer(flag ? 1 : 0)
        case (.integer, .number(let number)): return ProjectedColumn.int64(number).map(Value.integer)
        case (.integer, .string(let text)):
            return ProjectedColumn.strictDecimal(text).flatMap(ProjectedColumn.int64).map(Value.integer)
        case (.real, .number(let number)): return Double(number.description).map(Value.real)
        case (.real, .string(let text)):
            return ProjectedColumn.strictDecimal(text).flatMap { Double($0.description) }.map(Value.real)
        case (.numeric, .number(let number)): return .decimal(number.description)
        case (.numeric, .string(let text)): return ProjectedColumn.strictDecimal(text).map { .decimal($0.description) }
        default: return nil
        }
    }

    /// The value as a 64-bit integer when it is whole and in range.
    static func int64(_ number: Decimal) -> Int64? {
        guard number.isFinite, number >= Decimal(Int64.min), number <= Decimal(Int64.max) else { return nil }
        return Int64(number.description)
    }

    /// A decimal from text that is entirely one number (`12`, `-3.5`, `1e3`); `Decimal(string:)` alone accepts `12abc`.
    static func strictDecimal(_ text: String) -> Decimal? {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { (48...57).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var mantissa = digits()
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            mantissa += digits()
        }
        guard mantissa > 0 else { return nil }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return nil }
        }
        guard bytes.isEmpty else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Compact JSON text (``JSONValue/compactJSON()``), nil if the value cannot be encoded.
    public static func compactJSON(_ value: JSONValue) -> String? {
        (try? value.compactJSON()).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The options the table sinks (`sqlite`, `postgres`) share: `table` and repeated `column` lines, declared and read
/// once for both.
public enum TableSinkOptions {
    /// `table NAME`, default `engage_events`.
    public static let table = SinkOptionKey.string(
        "table", default: "engage_events",
        doc: "table name ([A-Za-z_][A-Za-z0-9_]*); created with its indexes if missing",
        check: { value in
            guard case .text(let text) = value else { return nil }
            return ProjectedColumn.isIdentifier(text) ? nil : "is not an SQL identifier ([A-Za-z_][A-Za-z0-9_]*)"
        })

    /// `column NAME payload.PATH [TYPE]`, repeatable.
    public static let column = SinkOptionKey.repeatedWords(
        "column", doc: "NAME payload.PATH [text|integer|real|numeric]: project a payload value into its own column",
        check: { value in
            guard case .words(let words) = value else { return nil }
            do throws(SinkError) {
                _ = try ProjectedColumn(words: words)
                return nil
            } catch {
                return error.message
            }
        })

    /// The table name and projected columns of sink `sink`, or an error naming the mistake (a name that is not an
    /// identifier, a bad column line, a column declared twice).
    public static func read(_ options: SinkOptions, sink: String) throws(SinkError) -> (table: String, columns: [ProjectedColumn]) {
        let table = options[Self.table] ?? "engage_events"
        guard ProjectedColumn.isIdentifier(table) else {
            throw SinkError("sink `\(sink)`: table `\(table)` is not an SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
        }
        var columns: [ProjectedColumn] = []
        for words in options[Self.column] ?? [] {
            let column: ProjectedColumn
            do {
                column = try ProjectedColumn(words: words)
            } catch {
                throw SinkError("sink `\(sink)`: \(error.message)")
            }
            if columns.contains(where: { $0.name.caseInsensitiveCompare(column.name) == .orderedSame }) {
                throw SinkError("sink `\(sink)`: column `\(column.name)` is declared twice")
            }
            columns.append(column)
        }
        return (table, columns)
    }
}
