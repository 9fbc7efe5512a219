/// A brace-delimited list of directives that belongs to the directive before it.
public struct Block: Sendable {
    /// The range of the `{`.
    public var openBrace: SourceRange
    /// The directives inside the braces, in source order.
    public var directives: [Directive]
    /// The range of the matching `}`; nil when the block was never closed (an error was reported).
    public var closeBrace: SourceRange?

    /// Creates a block.
    public init(openBrace: SourceRange, directives: [Directive], closeBrace: SourceRange?) {
        self.openBrace = openBrace
        self.directives = directives
        self.closeBrace = closeBrace
    }
}
