import RelayConfig

/// The validated options of one sink, defaults applied; sinks read them through typed keys (``SinkOptionKey``).
public struct SinkOptions: Sendable, Hashable {
    private var values: [String: [SinkOptionValue]]

    /// Creates options from validated values.
    public init(_ values: [String: [SinkOptionValue]] = [:]) { self.values = values }

    /// Every value given for `name` (more than one for repeatable options).
    public func all(_ name: String) -> [SinkOptionValue] { values[name] ?? [] }

    /// The first value given for `name`.
    public subscript(name: String) -> SinkOptionValue? { values[name]?.first }

    /// The options as `key=value` text, secrets shown by source only, leaving out `excluded` keys.
    public func redactedSummary(excluding excluded: Set<String>) -> String {
        values.keys.sorted().filter { !excluded.contains($0) }.flatMap { key in
            values[key, default: []].map { "\(key)=\($0.redactedText)" }
        }.joined(separator: " ")
    }
}

extension SinkOptionValue {
    /// The value as config text without a secret: secrets by their source (`env:NAME`), the value of a
    /// `NAME VALUE` pair (a header, an environment variable) by ``redactedPairValue(_:)``, and the credentials of a
    /// URL (`https://user:pass@host`) by `<credentials>`.
    public var redactedText: String {
        switch self {
        case .text(let text): Self.redactingCredentials(text)
        case .duration(let duration): duration.configText
        case .size(let size): "\(size)B"
        case .integer(let value): "\(value)"
        case .boolean(let value): "\(value)"
        case .secret(let source, _): source.description
        case .words(let words): words.joined(separator: " ")
        case .pair(let name, let value): "\(name) \(Self.redactedPairValue(value))"
        }
    }

    /// A pair's value as it may be shown: a whole `env:NAME`/`file:PATH` reference as written, text holding
    /// `${env:NAME}`/`${file:PATH}` references as `<text with env:NAME>`, any other text as `<literal>` (it may be
    /// a token written into the config).
    public static func redactedPairValue(_ value: String) -> String {
        let whole = SecretSource(value)
        guard case .literal = whole else { return whole.description }
        var references: [String] = []
        var rest = Substring(value)
        while let open = rest.firstRange(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            let source = SecretSource(String(rest[open.upperBound..<close]))
            if case .literal = source {} else { references.append(source.description) }
            rest = rest[rest.index(after: close)...]
        }
        return references.isEmpty ? "<literal>" : "<text with \(references.joined(separator: ", "))>"
    }

    /// `text` with the user information of a URL (`scheme://USER:PASSWORD@host`) replaced by `<credentials>`; other
    /// text unchanged.
    public static func redactingCredentials(_ text: String) -> String {
        guard let scheme = text.firstRange(of: "://") else { return text }
        let authority = text[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return text }
        return String(text[..<scheme.upperBound]) + "<credentials>" + text[at...]
    }
}

extension Duration {
    /// The duration in the config language's largest exact unit (`300s` → `5m`).
    public var configText: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where milliseconds >= size && milliseconds % size == 0 {
            return "\(milliseconds / size)\(unit)"
        }
        return "\(milliseconds)ms"
    }
}
