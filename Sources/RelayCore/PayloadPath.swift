import EngageEvents

/// A path into an event's payload as written in a config (`payload.items[0].sku`), for `where` filters and sink
/// options alike: keys match case-insensitively (an exact match first), `[N]` indexes an array, and `payload` alone
/// is the whole payload.
public struct PayloadPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of the path.
    public enum Step: Sendable, Hashable {
        /// An object key.
        case key(String)
        /// An array index.
        case index(Int)
    }

    /// Why a text is not a path.
    public enum SyntaxError: Error, Sendable, Hashable {
        /// A `.` not followed by a key (`payload.`, `payload..a`, `payload.[0]`).
        case emptyKey
        /// Anything else: no `payload` at the start, a key with a space or `]`, an index that is not 0 to 999999999.
        case malformed
    }

    /// The steps after `payload`, in order; empty for the payload itself.
    public let steps: [Step]

    /// A path of the given steps.
    public init(steps: [Step]) {
        self.steps = steps
    }

    /// Parses `payload`, `payload.a.b`, `payload.items[0]`, `payload[2].x`; `nil` for anything else.
    public init?(parsing text: String) {
        guard let path = try? PayloadPath(validating: text) else { return nil }
        self = path
    }

    /// Parses a path like ``init(parsing:)``, throwing what is wrong with a text that is not one.
    public init(validating text: String) throws(SyntaxError) {
        guard text.hasPrefix("payload") else { throw .malformed }
        var rest = Substring(text.dropFirst("payload".count))
        var steps: [Step] = []
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let key = rest.prefix { $0 != "." && $0 != "[" && $0 != "]" }
                guard !key.isEmpty else { throw .emptyKey }
                guard !key.contains(where: \.isWhitespace) else { throw .malformed }
                steps.append(.key(String(key)))
                rest = rest.dropFirst(key.count)
            } else if first == "[" {
                rest = rest.dropFirst()
                let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
                guard !digits.isEmpty, digits.count <= 9, let index = Int(digits),
                    rest.dropFirst(digits.count).first == "]"
                else { throw .malformed }
                steps.append(.index(index))
                rest = rest.dropFirst(digits.count + 1)
            } else {
                throw .malformed
            }
        }
        self.steps = steps
    }

    /// The value at the end of the path, or `nil` when a key or index is missing.
    public func value(in payload: JSONValue) -> JSONValue? {
        var current = payload
        for step in steps {
            switch step {
            case .key(let key):
                guard let next = current[key] else { return nil }
                current = next
            case .index(let index):
                guard case .array(let elements) = current, elements.indices.contains(index) else { return nil }
                current = elements[index]
            }
        }
        return current
    }

    /// The path as written.
    public var description: String {
        steps.reduce("payload") { text, step in
            switch step {
            case .key(let key): text + "." + key
            case .index(let index): text + "[\(index)]"
            }
        }
    }
}
