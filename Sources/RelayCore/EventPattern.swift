import EngageEvents

/// The event part of a route: an exact type, a dotted prefix glob (`contact.*`) or `*`.
public enum EventPattern: Sendable, Hashable, CustomStringConvertible {
    /// Matches one type exactly.
    case exact(EventType)
    /// Matches every type that starts with `prefix` followed by a dot (`contact.*`).
    case prefix(String)
    /// Matches every type.
    case any

    /// Parses a pattern, or returns `nil` when it is not one of the three forms.
    public init?(_ text: String) {
        if text == "*" {
            self = .any
        } else if text.hasSuffix(".*") {
            let prefix = String(text.dropLast(2))
            guard EventPattern.isTypeText(prefix) else { return nil }
            self = .prefix(prefix)
        } else {
            guard EventPattern.isTypeText(text) else { return nil }
            self = .exact(EventType(text))
        }
    }

    /// Whether `type` matches.
    public func matches(_ type: EventType) -> Bool {
        switch self {
        case .any: true
        case .exact(let exact): exact == type
        case .prefix(let prefix):
            // `contact.*` needs `contact`, a dot and at least one more character.
            type.rawValue.utf8.count > prefix.utf8.count + 1
                && type.rawValue.utf8.starts(with: prefix.utf8)
                && type.rawValue.utf8.dropFirst(prefix.utf8.count).first == UInt8(ascii: ".")
        }
    }

    /// The pattern as written.
    public var description: String {
        switch self {
        case .any: "*"
        case .exact(let type): type.rawValue
        case .prefix(let prefix): prefix + ".*"
        }
    }

    /// Svix event-type names match `^[a-zA-Z0-9\-_.]+$`.
    static func isTypeText(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
    }
}
