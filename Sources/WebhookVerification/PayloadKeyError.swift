/// A payload encryption key given in configuration is not in the expected format.
public struct PayloadKeyError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and how to fix it; never contains the key text.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
