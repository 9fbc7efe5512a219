/// A secret or key given in configuration is not in the expected format.
public struct SecretFormatError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and how to fix it; never contains the secret text.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
