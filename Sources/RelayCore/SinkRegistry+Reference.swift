import Foundation

extension SinkRegistry {
    /// The option reference of every kind (and the engine keys) as Markdown, for `engage-relay sinks --markdown` and
    /// `docs/config.md`.
    public var markdownReference: String {
        var lines: [String] = []
        for kind in kinds {
            lines.append("### `\(kind.kind)`")
            lines.append("")
            lines.append(kind.summary.prefix(1).uppercased() + kind.summary.dropFirst() + ".")
            lines.append("")
            lines.append(contentsOf: Self.table(kind.options))
            lines.append("")
            lines.append("Defaults: batch \(kind.defaultBatchSize), max-in-flight \(kind.defaultMaxInFlight).")
            lines.append("")
        }
        lines.append("### Engine keys (every sink)")
        lines.append("")
        lines.append(contentsOf: Self.table(DeliveryPolicy.options))
        return lines.joined(separator: "\n") + "\n"
    }

    /// A plain-text listing of every kind and its options, for `engage-relay sinks`.
    public var textReference: String {
        var lines: [String] = []
        for kind in kinds {
            lines.append("\(kind.kind): \(kind.summary)")
            let width = kind.options.map(\.name.count).max() ?? 0
            for option in kind.options {
                let name = option.name.padding(toLength: width, withPad: " ", startingAt: 0)
                lines.append("    \(name)  \(Self.typeText(option))  \(option.doc)")
            }
            lines.append("")
        }
        lines.append("every sink also takes: " + DeliveryPolicy.options.map(\.name).joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func table(_ options: [SinkOption]) -> [String] {
        ["| option | value | default | meaning |", "|---|---|---|---|"]
            + options.map { option in
                let value = "\(option.type)".replacingOccurrences(of: "|", with: "\\|")
                let fallback = option.isRequired ? "required" : option.defaultValue.map { "`\($0)`" } ?? "—"
                let repeatable = option.isRepeatable ? " (repeatable)" : ""
                return "| `\(option.name)` | \(value)\(repeatable) | \(fallback) | \(option.doc.replacingOccurrences(of: "|", with: "\\|")) |"
            }
    }

    static func typeText(_ option: SinkOption) -> String {
        var text = "\(option.type)"
        if option.isRequired { text += ", required" } else if let value = option.defaultValue { text += ", default \(value)" }
        if option.isRepeatable { text += ", repeatable" }
        return "[\(text)]"
    }
}
