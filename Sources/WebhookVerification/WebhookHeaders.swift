/// The three delivery headers of a Svix / Standard Webhooks request, already picked from the HTTP fields.
public struct WebhookHeaders: Sendable, Equatable {
    /// The message id (`svix-id` or `webhook-id`).
    public var id: String?
    /// The timestamp text (`svix-timestamp` or `webhook-timestamp`), exactly as received.
    public var timestamp: String?
    /// The signature list (`svix-signature` or `webhook-signature`).
    public var signature: String?

    /// Creates headers from values that were already picked.
    public init(id: String?, timestamp: String?, signature: String?) {
        self.id = id
        self.timestamp = timestamp
        self.signature = signature
    }

    /// Picks the headers from raw `(name, value)` pairs, comparing names case-insensitively.
    ///
    /// Each of id, timestamp and signature comes from its `svix-` header if present, else from its `webhook-`
    /// header; the choice is made per header, so a mixed set is accepted. When a name repeats, its first value wins.
    public init<S: Sequence>(fields: S) where S.Element == (name: String, value: String) {
        var svix: [String?] = [nil, nil, nil]
        var webhook: [String?] = [nil, nil, nil]
        for field in fields {
            guard let (branded, index) = Self.classify(field.name) else { continue }
            if branded {
                if svix[index] == nil { svix[index] = field.value }
            } else {
                if webhook[index] == nil { webhook[index] = field.value }
            }
        }
        self.init(id: svix[0] ?? webhook[0], timestamp: svix[1] ?? webhook[1], signature: svix[2] ?? webhook[2])
    }

    private static let suffixes: [String] = ["id", "timestamp", "signature"]

    /// Whether `name` is a `svix-` (true) or `webhook-` (false) delivery header, and which of the three.
    private static func classify(_ name: String) -> (branded: Bool, index: Int)? {
        let utf8 = name.utf8
        let branded: Bool
        let rest: Substring.UTF8View
        if utf8.hasASCIIPrefixIgnoringCase("svix-") {
            branded = true
            rest = Substring(name).utf8.dropFirst(5)
        } else if utf8.hasASCIIPrefixIgnoringCase("webhook-") {
            branded = false
            rest = Substring(name).utf8.dropFirst(8)
        } else {
            return nil
        }
        for (index, suffix) in suffixes.enumerated() where rest.equalsASCIIIgnoringCase(suffix) {
            return (branded, index)
        }
        return nil
    }
}

extension Sequence<UInt8> {
    /// Whether these bytes start with `lowercasePrefix`, ignoring ASCII case.
    fileprivate func hasASCIIPrefixIgnoringCase(_ lowercasePrefix: String) -> Bool {
        var iterator = makeIterator()
        for expected in lowercasePrefix.utf8 {
            guard let byte = iterator.next(), byte.asciiLowercased == expected else { return false }
        }
        return true
    }
}

extension Collection<UInt8> {
    /// Whether these bytes equal `lowercaseText`, ignoring ASCII case.
    fileprivate func equalsASCIIIgnoringCase(_ lowercaseText: String) -> Bool {
        count == lowercaseText.utf8.count && hasASCIIPrefixIgnoringCase(lowercaseText)
    }
}

extension UInt8 {
    fileprivate var asciiLowercased: UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self) ? self + 0x20 : self
    }
}
