import EngageEvents
import Foundation

/// A compiled `where` expression: evaluated per event without parsing, and with no allocation on the common path.
public indirect enum RouteFilter: Sendable, Hashable, CustomStringConvertible {
    /// Both hold.
    case and(RouteFilter, RouteFilter)
    /// Either holds.
    case or(RouteFilter, RouteFilter)
    /// The inner expression does not hold.
    case not(RouteFilter)
    /// The field is present (for a payload path: the path leads to a value, `null` included).
    case exists(FilterField)
    /// The field compares to the literal; a missing field makes every comparison false.
    case compare(FilterField, FilterOperator, FilterLiteral)
    /// The field equals one of the literals.
    case oneOf(FilterField, [FilterLiteral])

    /// Whether the event satisfies the expression.
    public func evaluate(_ event: EngageEvent) -> Bool {
        switch self {
        case .and(let left, let right): left.evaluate(event) && right.evaluate(event)
        case .or(let left, let right): left.evaluate(event) || right.evaluate(event)
        case .not(let inner): !inner.evaluate(event)
        case .exists(let field): field.withValue(in: event) { _ in true } ?? false
        case .compare(let field, let op, let literal):
            field.withValue(in: event) { op.holds(between: $0, and: literal) } ?? false
        case .oneOf(let field, let literals):
            field.withValue(in: event) { value in literals.contains { FilterOperator.equal.holds(between: value, and: $0) } }
                ?? false
        }
    }

    /// The expression in config syntax, fully parenthesised.
    public var description: String {
        switch self {
        case .and(let left, let right): "(\(left) and \(right))"
        case .or(let left, let right): "(\(left) or \(right))"
        case .not(let inner): "not \(inner)"
        case .exists(let field): "\(field) exists"
        case .compare(let field, let op, let literal): "\(field) \(op.rawValue) \(literal)"
        case .oneOf(let field, let literals): "\(field) in [\(literals.map(\.description).joined(separator: ", "))]"
        }
    }
}

/// What a filter looks at: an envelope field or a path into the payload.
public enum FilterField: Sendable, Hashable, CustomStringConvertible {
    /// The event type.
    case type
    /// The tenant (missing when the envelope has none).
    case tenant
    /// The event id.
    case id
    /// A path into the payload; keys match case-insensitively. An empty path is the payload itself.
    case payload(PayloadPath)

    /// Runs `body` on the field's value, or returns `nil` when the field is missing.
    func withValue<T>(in event: EngageEvent, _ body: (FieldValue) -> T) -> T? {
        switch self {
        case .type: return body(.string(event.type.rawValue))
        case .id: return body(.string(event.id))
        case .tenant: return event.tenant.map { body(.string($0)) }
        case .payload(let path): return path.value(in: event.payload).map { body(.json($0)) }
        }
    }

    /// Whether the field always holds a string (so a number literal against it is a mistake).
    var isString: Bool {
        if case .payload = self { return false }
        return true
    }

    /// The field as written.
    public var description: String {
        switch self {
        case .type: "type"
        case .tenant: "tenant"
        case .id: "id"
        case .payload(let path): path.description
        }
    }
}

/// A field's value during evaluation.
enum FieldValue {
    case string(String)
    case json(JSONValue)
}

/// A comparison operator.
public enum FilterOperator: String, Sendable, Hashable, CaseIterable {
    /// Equal.
    case equal = "=="
    /// Not equal.
    case notEqual = "!="
    /// Less than.
    case less = "<"
    /// Less than or equal.
    case lessOrEqual = "<="
    /// Greater than.
    case greater = ">"
    /// Greater than or equal.
    case greaterOrEqual = ">="

    /// Whether the operator orders values (rather than testing equality).
    public var isOrdering: Bool { self != .equal && self != .notEqual }

    func holds(between value: FieldValue, and literal: FilterLiteral) -> Bool {
        guard let order = FilterOperator.compare(value, literal) else {
            // Values of different kinds are unequal and unordered.
            return self == .notEqual
        }
        switch self {
        case .equal: return order == .orderedSame
        case .notEqual: return order != .orderedSame
        case .less: return order == .orderedAscending
        case .lessOrEqual: return order != .orderedDescending
        case .greater: return order == .orderedDescending
        case .greaterOrEqual: return order != .orderedAscending
        }
    }

    /// Orders a value against a literal of the same kind; numbers and numeric strings compare as exact decimals.
    static func compare(_ value: FieldValue, _ literal: FilterLiteral) -> ComparisonResult? {
        switch (value, literal) {
        case (.string(let text), .string(let expected)), (.json(.string(let text)), .string(let expected)):
            return text == expected ? .orderedSame : (text < expected ? .orderedAscending : .orderedDescending)
        case (.json(.number(let number)), .number(let expected)):
            return decimalOrder(number, expected)
        case (.json(.string(let text)), .number(let expected)), (.string(let text), .number(let expected)):
            return strictDecimal(text).map { decimalOrder($0, expected) }
        case (.json(.number(let number)), .string(let expected)):
            return strictDecimal(expected).map { decimalOrder(number, $0) }
        case (.json(.bool(let flag)), .boolean(let expected)):
            return flag == expected ? .orderedSame : nil
        case (.json(.null), .null):
            return .orderedSame
        default:
            return nil
        }
    }

    /// A decimal from text that is entirely a number (`Decimal(string:)` alone accepts `12abc`).
    static func strictDecimal(_ text: String) -> Decimal? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) || $0 == 46 || $0 == 45 || $0 == 43 || $0 == 101 || $0 == 69 })
        else { return nil }
        return Decimal(string: text, locale: FilterLiteral.posix)
    }

    static func decimalOrder(_ left: Decimal, _ right: Decimal) -> ComparisonResult {
        left == right ? .orderedSame : (left < right ? .orderedAscending : .orderedDescending)
    }
}

/// A literal in a filter.
public enum FilterLiteral: Sendable, Hashable, CustomStringConvertible {
    /// A quoted string.
    case string(String)
    /// A number, exact.
    case number(Decimal)
    /// `true` or `false`.
    case boolean(Bool)
    /// `null`.
    case null

    static let posix = Locale(identifier: "en_US_POSIX")

    /// The literal as written.
    public var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .number(let number): number.description
        case .boolean(let flag): "\(flag)"
        case .null: "null"
        }
    }
}
