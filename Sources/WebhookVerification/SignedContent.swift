/// The signed content `{id}.{timestamp}.{body}`, kept as a short prefix so the body is never copied for HMAC.
enum SignedContent {
    /// The bytes of `{id}.{timestamp}.`.
    static func prefix(id: String, timestamp: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(id.utf8.count + timestamp.utf8.count + 2)
        bytes.append(contentsOf: id.utf8)
        bytes.append(UInt8(ascii: "."))
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(UInt8(ascii: "."))
        return bytes
    }

    /// The whole signed content in one buffer, which Ed25519 needs because it has no incremental interface.
    static func contiguous(prefix: [UInt8], body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefix.count + body.count)
        bytes.append(contentsOf: prefix)
        bytes.append(contentsOf: body)
        return bytes
    }
}
