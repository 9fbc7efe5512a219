/// A half-open span of source text: `start` is the first character, `end` the position after the last.
public struct SourceRange: Sendable, Hashable, CustomStringConvertible {
    /// The first position covered.
    public var start: SourceLocation
    /// The position just after the last covered character (exclusive).
    public var end: SourceLocation

    /// Creates a range; `end` must not come before `start`.
    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// An empty range at one position, for "something is missing here" diagnostics.
    public init(at location: SourceLocation) {
        self.init(start: location, end: location)
    }

    /// The smallest range covering both `self` and `other`.
    public func extended(to other: SourceRange) -> SourceRange {
        SourceRange(start: min(start, other.start), end: max(end, other.end))
    }

    /// `LINE:COLUMN-LINE:COLUMN`.
    public var description: String { "\(start)-\(end)" }
}
