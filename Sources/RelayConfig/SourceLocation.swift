/// A position in a `SourceFile`: 1-based line and column, plus the UTF-8 byte offset.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line number.
    public var line: Int
    /// The 1-based column, counted in Characters (grapheme clusters), not bytes.
    public var column: Int
    /// The 0-based UTF-8 byte offset into `SourceFile.text`.
    public var offset: Int

    /// Creates a location; the three numbers must describe the same position.
    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// Orders by position in the file.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.offset, lhs.line, lhs.column) < (rhs.offset, rhs.line, rhs.column)
    }

    /// `LINE:COLUMN`.
    public var description: String { "\(line):\(column)" }
}
