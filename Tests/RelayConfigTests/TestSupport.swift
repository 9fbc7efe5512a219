import RelayConfig

/// Parses `text` as a file named `test.conf`.
func parse(_ text: String) -> (document: ConfigDocument, diagnostics: [Diagnostic]) {
    ConfigParser.parse(SourceFile(path: "test.conf", text: text))
}

/// A range on one line, written as 1-based column and 0-based UTF-8 offset intervals.
func range(line: Int, columns: Range<Int>, offsets: Range<Int>) -> SourceRange {
    SourceRange(
        start: SourceLocation(line: line, column: columns.lowerBound, offset: offsets.lowerBound),
        end: SourceLocation(line: line, column: columns.upperBound, offset: offsets.upperBound)
    )
}

extension Directive {
    /// The arguments' texts, for compact expectations.
    var argumentTexts: [String] { arguments.map(\.text) }

    /// The names of the directives in this directive's block; empty without a block.
    var childNames: [String] { block?.directives.map(\.name.text) ?? [] }
}

extension Diagnostic {
    /// `LINE:COLUMN message`, for compact expectations on where and what.
    var summary: String { "\(range.start.line):\(range.start.column) \(message)" }
}
