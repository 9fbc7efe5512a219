/// The syntax tree of one configuration file: its top-level directives and the source they came from.
public struct ConfigDocument: Sendable {
    /// The file that was parsed, kept so diagnostics can be rendered later.
    public var source: SourceFile
    /// The top-level directives, in source order.
    public var directives: [Directive]

    /// Creates a document.
    public init(source: SourceFile, directives: [Directive]) {
        self.source = source
        self.directives = directives
    }
}
