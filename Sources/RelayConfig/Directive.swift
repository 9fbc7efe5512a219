/// One statement of the configuration: a name word, its arguments and an optional block.
public struct Directive: Sendable {
    /// The directive's name; always a `.word` token.
    public var name: Token
    /// The tokens between the name and the end of the statement or the block's `{`.
    public var arguments: [Token]
    /// The `{ ... }` block that ends the statement, if any.
    public var block: Block?
    /// From the start of the name to the end of the last argument or the closing brace.
    public var range: SourceRange

    /// Creates a directive.
    public init(name: Token, arguments: [Token] = [], block: Block? = nil, range: SourceRange) {
        self.name = name
        self.arguments = arguments
        self.block = block
        self.range = range
    }
}
