/// A delivery whose body was verified; only ``SignatureVerifier`` can make one, so nothing unverified goes further.
public struct VerifiedDelivery: Sendable {
    /// The message id from the delivery headers, usable as an idempotency key.
    public let messageId: String
    /// The signed timestamp in Unix seconds.
    public let timestamp: Int64
    /// The body exactly as received and verified.
    public let body: [UInt8]

    init(messageId: String, timestamp: Int64, body: [UInt8]) {
        self.messageId = messageId
        self.timestamp = timestamp
        self.body = body
    }
}
