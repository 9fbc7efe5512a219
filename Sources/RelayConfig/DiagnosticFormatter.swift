/// Renders diagnostics as plain text: location line, source line, caret line, suggestion.
///
/// Tabs in the source line are printed as they are, and every tab before or under the range is
/// repeated as a tab in the caret line, so the caret lines up whatever the terminal's tab width.
/// A range that runs past its first line is underlined to the end of that line.
public enum DiagnosticFormatter {
    private static let indent = "    "

    /// `FILE:LINE:COL: SEVERITY: MESSAGE`, the indented source line, a `^~~~` line, and `    suggestion: ...`.
    public static func format(_ diagnostic: Diagnostic, source: SourceFile) -> String {
        let start = diagnostic.range.start
        var lines = [
            "\(source.path):\(start.line):\(start.column): \(diagnostic.severity.rawValue): \(diagnostic.message)"
        ]
        let (lineText, range) = window(source.lineText(start.line), around: diagnostic.range)
        lines.append(indent + lineText)
        lines.append(indent + caretLine(for: range, in: lineText[...]))
        if let suggestion = diagnostic.suggestion {
            lines.append(indent + "suggestion: " + suggestion)
        }
        return lines.joined(separator: "\n")
    }

    /// The most diagnostics ``format(_:source:summary:limit:)`` prints by default; the rest are counted.
    public static let defaultLimit = 50

    /// The most characters of a source line shown under a diagnostic; a longer line is cut around the column.
    static let lineWidth = 240

    /// Formats the first `limit` diagnostics in source order, one after the other, then a count of the rest,
    /// optionally ending with "N errors, M warnings" (which counts them all).
    public static func format(
        _ diagnostics: [Diagnostic], source: SourceFile, summary: Bool, limit: Int = defaultLimit
    ) -> String {
        let ordered = diagnostics.enumerated()
            .sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }
            .map(\.element)
        var parts = ordered.prefix(limit).map { format($0, source: source) }
        if ordered.count > limit {
            parts.append("… and \(ordered.count - limit) more not shown")
        }
        if summary {
            parts.append(summaryLine(for: diagnostics))
        }
        return parts.joined(separator: "\n")
    }

    /// "N errors, M warnings", singular where N or M is 1; notes are not counted.
    public static func summaryLine(for diagnostics: [Diagnostic]) -> String {
        let errors = diagnostics.count { $0.severity == .error }
        let warnings = diagnostics.count { $0.severity == .warning }
        return "\(counted(errors, "error")), \(counted(warnings, "warning"))"
    }

    private static func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// The line as shown, at most ``lineWidth`` characters around the range's start with `…` where it was cut,
    /// and the range moved to match.
    private static func window(_ lineText: Substring, around range: SourceRange) -> (String, SourceRange) {
        let characters = Array(lineText)
        guard characters.count > lineWidth else { return (String(lineText), range) }
        let first = min(max(0, range.start.column - 1 - lineWidth / 3), characters.count - lineWidth)
        let last = first + lineWidth
        let prefix = first > 0 ? "…" : ""
        let text = prefix + String(characters[first..<last]) + (last < characters.count ? "…" : "")
        let shift = first - prefix.count
        func moved(_ location: SourceLocation) -> SourceLocation {
            SourceLocation(
                line: location.line, column: min(max(1, location.column - shift), text.count + 1),
                offset: location.offset)
        }
        let end = range.end.line == range.start.line ? moved(range.end) : range.end
        return (text, SourceRange(start: moved(range.start), end: end))
    }

    private static func caretLine(for range: SourceRange, in lineText: Substring) -> String {
        let characters = Array(lineText)
        let startIndex = max(0, range.start.column - 1)
        let lastIndex = range.end.line == range.start.line ? range.end.column - 1 : characters.count
        let endIndex = max(startIndex + 1, lastIndex)
        var caret = ""
        for index in 0..<endIndex {
            let isTab = index < characters.count && characters[index] == "\t"
            if index < startIndex {
                caret.append(isTab ? "\t" : " ")
            } else if index == startIndex {
                caret.append("^")
            } else {
                caret.append(isTab ? "\t" : "~")
            }
        }
        return caret
    }
}
