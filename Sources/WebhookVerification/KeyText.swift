import Foundation

/// Decoding of the `whsec_` / `whpk_` / `whsk_` key texts shared by the key types.
enum KeyText {
    static let knownPrefixes = ["whsec_", "whpk_", "whsk_"]

    /// Decodes `text`, with `prefix` optional and base64 padding optional, into `byteCounts` bytes.
    ///
    /// Messages name the kind of key and what is wrong, never the text itself, because configuration errors end up
    /// in logs.
    static func decode(
        _ text: String,
        prefix: String,
        kind: String,
        byteCounts: ClosedRange<Int>
    ) throws(SecretFormatError) -> [UInt8] {
        var body = Substring(text)
        if body.hasPrefix(prefix) {
            body = body.dropFirst(prefix.count)
        } else if let other = knownPrefixes.first(where: { body.hasPrefix($0) }) {
            throw SecretFormatError("\(kind) has the prefix \(other), expected \(prefix) (or no prefix)")
        }
        if body.isEmpty {
            throw SecretFormatError("\(kind) is empty; expected \(prefix) followed by standard base64")
        }
        if body.contains(where: { $0.isWhitespace }) {
            throw SecretFormatError("\(kind) contains whitespace; remove spaces and line breaks")
        }
        // Padding is optional in this project's key texts, while Foundation's decoder requires it.
        var padded = String(body)
        if padded.utf8.count % 4 != 0 {
            padded += String(repeating: "=", count: 4 - padded.utf8.count % 4)
        }
        guard let data = Data(base64Encoded: padded) else {
            throw SecretFormatError(
                "\(kind) is not valid standard base64 after the optional \(prefix) prefix "
                    + "(check for URL-safe '-' or '_' characters, or a truncated value)"
            )
        }
        guard byteCounts.contains(data.count) else {
            let expected =
                byteCounts.lowerBound == byteCounts.upperBound
                ? "\(byteCounts.lowerBound)" : "\(byteCounts.lowerBound) to \(byteCounts.upperBound)"
            throw SecretFormatError("\(kind) decodes to \(data.count) bytes; expected \(expected)")
        }
        return Array(data)
    }
}
