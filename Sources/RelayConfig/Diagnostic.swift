/// A problem found in a configuration file, with the exact range it concerns and an optional fix.
public struct Diagnostic: Sendable, Hashable, Error, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Sendable, Hashable {
        /// The configuration cannot be used.
        case error
        /// The configuration works but is probably not what was meant.
        case warning
        /// Extra context for another diagnostic, e.g. "first defined here".
        case note
    }

    /// How serious the problem is.
    public var severity: Severity
    /// What is wrong, as one sentence without a trailing period; code in backticks.
    public var message: String
    /// The source text the problem concerns.
    public var range: SourceRange
    /// How to fix it, e.g. "did you mean `timeout`?".
    public var suggestion: String?

    /// Creates a diagnostic.
    public init(severity: Severity, message: String, range: SourceRange, suggestion: String? = nil) {
        self.severity = severity
        self.message = message
        self.range = range
        self.suggestion = suggestion
    }

    /// An error at `range`.
    public static func error(_ message: String, at range: SourceRange, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(severity: .error, message: message, range: range, suggestion: suggestion)
    }

    /// A warning at `range`.
    public static func warning(_ message: String, at range: SourceRange, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(severity: .warning, message: message, range: range, suggestion: suggestion)
    }

    /// A note at `range`, usually following the diagnostic it explains.
    public static func note(_ message: String, at range: SourceRange, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(severity: .note, message: message, range: range, suggestion: suggestion)
    }

    /// `LINE:COLUMN: SEVERITY: MESSAGE`, without the file name (see `DiagnosticFormatter` for that).
    public var description: String {
        "\(range.start): \(severity.rawValue): \(message)"
    }
}
