import HTTPTypes
import WebhookVerification

/// A request the receiver answers with an error: the HTTP status and the short JSON code, and nothing from the request.
public struct Refusal: Error, Sendable, Equatable {
    /// The response status.
    public let status: HTTPResponse.Status
    /// The stable snake_case code sent as `{"error": code}` and used as the log reason.
    public let code: String
    /// Seconds for `Retry-After`, when the sender should come back.
    public var retryAfterSeconds: Int64?

    /// Creates a refusal.
    public init(_ status: HTTPResponse.Status, _ code: String, retryAfterSeconds: Int64? = nil) {
        self.status = status
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Not a path this receiver serves.
    public static let notFound = Refusal(.notFound, "not_found")
    /// A served path, the wrong method.
    public static let methodNotAllowed = Refusal(.methodNotAllowed, "method_not_allowed")
    /// The body is larger than `max-body`.
    public static let bodyTooLarge = Refusal(.contentTooLarge, "body_too_large")
    /// The source address is not on the allowlist.
    public static let sourceNotAllowed = Refusal(.forbidden, "source_not_allowed")
    /// The custom header token is missing or wrong (no hint of the expected value).
    public static let tokenMismatch = Refusal(.forbidden, "token_mismatch")
    /// The event matched no route and the config says `unrouted reject`.
    public static let unrouted = Refusal(.unprocessableContent, "unrouted")
    /// The receiver is shutting down; the sender should retry.
    public static let shuttingDown = Refusal(.serviceUnavailable, "shutting_down", retryAfterSeconds: 5)
    /// The memory budget for request bodies (`max-buffered`) is spent by bodies being read now.
    public static let busy = Refusal(.serviceUnavailable, "busy", retryAfterSeconds: 1)

    /// The status for a verification failure: 400 for missing or malformed headers, 401 for a wrong signature or time.
    public static func verification(_ error: VerificationError) -> Refusal {
        switch error.code {
        case .missingHeaders, .malformedHeaders: Refusal(.badRequest, error.code.rawValue)
        default: Refusal(.unauthorized, error.code.rawValue)
        }
    }
}
