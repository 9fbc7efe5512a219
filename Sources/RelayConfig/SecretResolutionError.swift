/// Why a `SecretSource` could not be resolved; the message names the variable or file, never the secret.
public struct SecretResolutionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A sentence for the operator, e.g. "environment variable `ENGAGE_SIGNING_SECRET` is not set".
    public let message: String

    /// Creates an error with a message that must not contain the secret.
    public init(message: String) {
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
