import RelayConfig

/// A sink option declared with the Swift type its value is read as, so that a sink reads `options[Key.timeout]` as
/// a `Duration` and a misspelt key is a compile error. Its ``option`` is the declaration the checker validates
/// against (once: the sink does not check the value again), `engage-relay sinks` lists and the docs show.
///
/// ```swift
/// enum Key {
///     static let path = SinkOptionKey.path("path", required: true, doc: "file to append to")
///     static let fsync = SinkOptionKey.choice("fsync", of: SyncMode.self, default: .batch, doc: "when to sync")
/// }
/// static let options = [Key.path.option, Key.fsync.option]
/// ```
public struct SinkOptionKey<Value: Sendable>: Sendable {
    /// The declaration: name, type, default, documentation.
    public let option: SinkOption
    let read: @Sendable ([SinkOptionValue]) -> Value?

    /// Declares a key over `option`, reading its values with `read` (for types the built-in constructors lack).
    public init(option: SinkOption, read: @escaping @Sendable ([SinkOptionValue]) -> Value?) {
        self.option = option
        self.read = read
    }

    /// The key's name.
    public var name: String { option.name }

    static func single(
        _ option: SinkOption, _ read: @escaping @Sendable (SinkOptionValue) -> Value?
    ) -> SinkOptionKey {
        SinkOptionKey(option: option) { values in values.first.flatMap(read) }
    }
}

extension SinkOptionKey where Value == String {
    /// Free text (one word or a quoted string).
    public static func string(
        _ name: String, default defaultValue: String? = nil, required: Bool = false, doc: String,
        check: SinkOption.Check? = nil
    ) -> SinkOptionKey {
        text(SinkOption(name, .string, default: defaultValue, required: required, doc: doc, check: check))
    }

    /// A filesystem path.
    public static func path(_ name: String, default defaultValue: String? = nil, required: Bool = false, doc: String)
        -> SinkOptionKey
    {
        text(SinkOption(name, .path, default: defaultValue, required: required, doc: doc))
    }

    /// A URL; `check` may refuse schemes or forms the sink cannot use.
    public static func url(_ name: String, required: Bool = false, doc: String, check: SinkOption.Check? = nil)
        -> SinkOptionKey
    {
        text(SinkOption(name, .url, required: required, doc: doc, check: check))
    }

    /// One of `words`, read as the word.
    public static func choice(_ name: String, among words: [String], default defaultValue: String? = nil, doc: String)
        -> SinkOptionKey
    {
        text(SinkOption(name, .choice(words), default: defaultValue, doc: doc))
    }

    /// A secret (`env:NAME`, `file:PATH` or literal), read as its resolved value; never printed.
    public static func secret(_ name: String, required: Bool = false, doc: String, check: SinkOption.Check? = nil)
        -> SinkOptionKey
    {
        single(SinkOption(name, .secret, required: required, doc: doc, check: check)) {
            if case .secret(_, let value) = $0 { return value }
            return nil
        }
    }

    private static func text(_ option: SinkOption) -> SinkOptionKey {
        single(option) {
            if case .text(let text) = $0 { return text }
            return nil
        }
    }
}

extension SinkOptionKey where Value == Duration {
    /// A duration such as `10s`; `range` bounds it (checked by the checker).
    public static func duration(
        _ name: String, default defaultValue: String? = nil, in range: ClosedRange<Duration>? = nil, doc: String
    ) -> SinkOptionKey {
        var check: SinkOption.Check?
        if let range {
            check = { value in
                guard case .duration(let duration) = value, !range.contains(duration) else { return nil }
                return "must be between \(range.lowerBound.configText) and \(range.upperBound.configText)"
            }
        }
        return single(SinkOption(name, .duration, default: defaultValue, doc: doc, check: check)) {
            if case .duration(let duration) = $0 { return duration }
            return nil
        }
    }
}

extension SinkOptionKey where Value == Int64 {
    /// A byte size such as `100MiB`.
    public static func size(_ name: String, default defaultValue: String? = nil, doc: String) -> SinkOptionKey {
        single(SinkOption(name, .size, default: defaultValue, doc: doc)) {
            if case .size(let size) = $0 { return size }
            return nil
        }
    }
}

extension SinkOptionKey where Value == Int {
    /// An integer within `range`.
    public static func integer(
        _ name: String, _ range: ClosedRange<Int>, default defaultValue: String? = nil, doc: String
    ) -> SinkOptionKey {
        single(SinkOption(name, .integer(range), default: defaultValue, doc: doc)) {
            if case .integer(let value) = $0 { return value }
            return nil
        }
    }
}

extension SinkOptionKey where Value == Bool {
    /// `true` or `false`.
    public static func boolean(_ name: String, default defaultValue: Bool? = nil, doc: String) -> SinkOptionKey {
        single(SinkOption(name, .boolean, default: defaultValue.map { "\($0)" }, doc: doc)) {
            if case .boolean(let value) = $0 { return value }
            return nil
        }
    }
}

extension SinkOptionKey where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of the cases of `Value`, written as its raw value.
    public static func choice(_ name: String, of type: Value.Type, default defaultValue: Value? = nil, doc: String)
        -> SinkOptionKey
    {
        single(
            SinkOption(name, .choice(Value.allCases.map(\.rawValue)), default: defaultValue?.rawValue, doc: doc)
        ) {
            if case .text(let text) = $0 { return Value(rawValue: text) }
            return nil
        }
    }
}

extension SinkOptionKey {
    /// One of the cases of `Choice` on each of several lines, in order.
    public static func repeatedChoice<Choice: RawRepresentable & CaseIterable & Sendable>(
        _ name: String, of type: Choice.Type, doc: String
    ) -> SinkOptionKey<[Choice]> where Value == [Choice], Choice.RawValue == String {
        SinkOptionKey(
            option: SinkOption(name, .choice(Choice.allCases.map(\.rawValue)), repeatable: true, doc: doc)
        ) { values in
            values.compactMap {
                if case .text(let text) = $0 { return Choice(rawValue: text) }
                return nil
            }
        }
    }
}

extension SinkOptionKey where Value == [String] {
    /// One or more words on one line (an argv list, for example).
    public static func words(
        _ name: String, default defaultValue: String? = nil, required: Bool = false, doc: String,
        check: SinkOption.Check? = nil
    ) -> SinkOptionKey {
        single(SinkOption(name, .words, default: defaultValue, required: required, doc: doc, check: check)) {
            if case .words(let words) = $0 { return words }
            return nil
        }
    }
}

extension SinkOptionKey where Value == [[String]] {
    /// Words on each of several lines (`rotate 100MiB` and `rotate daily`, or one `column` per line).
    public static func repeatedWords(_ name: String, doc: String, check: SinkOption.Check? = nil) -> SinkOptionKey {
        SinkOptionKey(option: SinkOption(name, .words, repeatable: true, doc: doc, check: check)) { values in
            values.compactMap {
                if case .words(let words) = $0 { return words }
                return nil
            }
        }
    }
}

extension SinkOptionKey where Value == [SinkOptionPair] {
    /// `NAME VALUE` on each of several lines (headers, environment variables).
    public static func pairs(_ name: String, doc: String, check: SinkOption.Check? = nil) -> SinkOptionKey {
        SinkOptionKey(option: SinkOption(name, .pair, repeatable: true, doc: doc, check: check)) { values in
            values.compactMap {
                if case .pair(let key, let value) = $0 { return SinkOptionPair(name: key, value: value) }
                return nil
            }
        }
    }
}

/// One `NAME VALUE` line of a repeatable pair option.
public struct SinkOptionPair: Sendable, Hashable {
    /// The name.
    public var name: String
    /// The value as written.
    public var value: String

    /// Creates a pair.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension SinkOptions {
    /// The value of `key`: what the block says, else the declared default, else `nil`.
    public subscript<Value>(_ key: SinkOptionKey<Value>) -> Value? {
        let given = all(key.name)
        if !given.isEmpty { return key.read(given) }
        guard let text = key.option.defaultValue, let value = SinkOptionValue(parsing: text, as: key.option.type)
        else { return key.read([]) }
        return key.read([value])
    }

    /// The value of a required key; throws naming the key when it is absent (the checker reports that first, so
    /// only a sink built by hand sees this).
    public func required<Value>(_ key: SinkOptionKey<Value>, sink: String) throws(SinkError) -> Value {
        guard let value = self[key] else { throw SinkError("sink `\(sink)`: `\(key.name)` is required") }
        return value
    }
}

extension SinkOptionValue {
    /// A value from config text for a type that needs no environment (every type but ``SinkOptionType/secret``),
    /// or `nil` when the text is not a valid value of the type.
    public init?(parsing text: String, as type: SinkOptionType) {
        switch type {
        case .string: self = .text(text)
        case .path:
            guard !text.isEmpty else { return nil }
            self = .text(text)
        case .url:
            guard text.contains("://"), !text.contains(" ") else { return nil }
            self = .text(text)
        case .duration:
            guard let duration = ConfigValue.duration(text) else { return nil }
            self = .duration(duration)
        case .size:
            guard let size = ConfigValue.byteSize(text) else { return nil }
            self = .size(size)
        case .integer(let range):
            guard let value = ConfigValue.integer(text), range.contains(value) else { return nil }
            self = .integer(value)
        case .boolean:
            guard let value = ConfigValue.boolean(text) else { return nil }
            self = .boolean(value)
        case .choice(let words):
            guard words.contains(text) else { return nil }
            self = .text(text)
        case .words:
            // A default of several words is several words.
            self = .words(text.split(separator: " ").map(String.init))
        case .secret, .pair:
            return nil
        }
    }
}
