/// An error a test helper throws when the world does not look as the test needs, with a message that says why.
public struct TestFailure: Error, CustomStringConvertible {
    /// What went wrong, for the test's failure message.
    public var description: String

    /// Creates a failure with a message.
    public init(_ description: String) { self.description = description }
}
