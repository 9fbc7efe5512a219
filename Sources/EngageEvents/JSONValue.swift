import Foundation

/// Any JSON value, with numbers kept as exact decimals (2500.75 stays 2500.75).
public enum JSONValue: Sendable, Hashable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, exact in decimal.
    case number(Decimal)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; key order is not kept.
    case object([String: JSONValue])

    /// Parses JSON text (UTF-8 bytes) into a value.
    public init(parsing bytes: some Collection<UInt8>) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The value of `key` in an object, matching the key exactly first and then case-insensitively.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        if let exact = members[key] { return exact }
        for (name, value) in members where name.caseInsensitiveCompare(key) == .orderedSame { return value }
        return nil
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The boolean, when this is a boolean.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The number, when this is a number.
    public var decimalValue: Decimal? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// An identifier's text: a string as is, or a number written without exponent (ids arrive as either).
    public var identifierText: String? {
        switch self {
        case .string(let text): return text
        case .number(let number): return number.description
        default: return nil
        }
    }
}

extension JSONValue: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // The decoder cannot be asked for a value's type, only tried; each failed try throws, which costs more than
        // the decode itself. So the kinds are tried in the order they occur in Engage bodies: strings, objects,
        // numbers, booleans, arrays.
        if container.decodeNil() {
            self = .null
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let members = try? container.decode([String: JSONValue].self) {
            self = .object(members)
        } else if let number = try? container.decode(Decimal.self) {
            self = .number(number)
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    /// Encodes the value as JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .number(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}
