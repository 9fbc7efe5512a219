/// A webhook request signed as Svix delivers it: message id, timestamp, body and `v1,` signature.
public struct SignedRequest: Sendable {
    /// The `svix-id`.
    public var messageId: String
    /// The `svix-timestamp`, in seconds since 1970.
    public var timestamp: Int64
    /// The body that was signed.
    public var body: [UInt8]
    /// The `svix-signature` value.
    public var signature: String

    /// Creates a signed request.
    public init(messageId: String, timestamp: Int64, body: [UInt8], signature: String) {
        self.messageId = messageId
        self.timestamp = timestamp
        self.body = body
        self.signature = signature
    }

    /// The three signature headers, named `svix-…` or, with `style: "webhook"`, `webhook-…`.
    public func headers(style: String = "svix") -> [(String, String)] {
        [("\(style)-id", messageId), ("\(style)-timestamp", String(timestamp)), ("\(style)-signature", signature)]
    }
}
