import RelayConfig

/// One option a sink kind accepts, declared as data so the checker, `engage-relay sinks` and the docs share it.
public struct SinkOption: Sendable {
    /// The key as written in a `sink` block.
    public var name: String
    /// What kind of value the key takes.
    public var type: SinkOptionType
    /// The default, in config syntax, or `nil` when there is none.
    public var defaultValue: String?
    /// Whether the block must set this key.
    public var isRequired: Bool
    /// Whether the key may appear more than once (each line adds a value).
    public var isRepeatable: Bool
    /// One line of documentation.
    public var doc: String
    /// A check of a well-typed value that the sink kind needs beyond its type (a URL scheme, a header it sets
    /// itself); returns the problem, shown by `check` at the value, or `nil`.
    public var check: Check?

    /// A kind-specific check of one value: the problem, or `nil` when the value is fine.
    public typealias Check = @Sendable (SinkOptionValue) -> String?

    /// Declares an option.
    public init(
        _ name: String, _ type: SinkOptionType, default defaultValue: String? = nil, required: Bool = false,
        repeatable: Bool = false, doc: String, check: Check? = nil
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.isRequired = required
        self.isRepeatable = repeatable
        self.doc = doc
        self.check = check
    }
}

/// The type of a sink option's value.
public enum SinkOptionType: Sendable, Hashable, CustomStringConvertible {
    /// Free text (one word or quoted string).
    case string
    /// A filesystem path.
    case path
    /// A URL.
    case url
    /// A duration such as `10s`.
    case duration
    /// A byte size such as `100MiB`.
    case size
    /// An integer within bounds.
    case integer(ClosedRange<Int>)
    /// `true` or `false`.
    case boolean
    /// One of a fixed set of words.
    case choice([String])
    /// A secret: literal, `env:NAME` or `file:PATH`; resolved at load, never printed.
    case secret
    /// One or more words (an argv list, for example).
    case words
    /// A name followed by a value (`header NAME VALUE`).
    case pair

    /// A placeholder for a value of this type in usage text (`PATH`, `DURATION`, …).
    public var placeholder: String {
        switch self {
        case .choice(let words): words.joined(separator: "|")
        case .integer: "N"
        case .words: "WORD..."
        case .pair: "NAME VALUE"
        default: "\(self)".uppercased()
        }
    }

    /// The type as shown in diagnostics and docs.
    public var description: String {
        switch self {
        case .string: "string"
        case .path: "path"
        case .url: "url"
        case .duration: "duration"
        case .size: "size"
        case .integer(let range): "integer \(range.lowerBound)...\(range.upperBound)"
        case .boolean: "boolean"
        case .choice(let words): words.joined(separator: "|")
        case .secret: "secret"
        case .words: "words..."
        case .pair: "name value"
        }
    }
}

/// A validated option value.
public enum SinkOptionValue: Sendable, Hashable {
    /// Text (strings, paths, URLs, choices).
    case text(String)
    /// A duration.
    case duration(Duration)
    /// A size in bytes.
    case size(Int64)
    /// An integer.
    case integer(Int)
    /// A boolean.
    case boolean(Bool)
    /// A resolved secret and where it came from.
    case secret(source: SecretSource, value: String)
    /// A list of words.
    case words([String])
    /// A name and a value.
    case pair(name: String, value: String)
}
