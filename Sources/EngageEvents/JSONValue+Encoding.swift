import Foundation

extension JSONValue {
    /// Appends `text` as a JSON string literal (RFC 8259): in quotes, with `"` and `\` escaped, line feed, carriage
    /// return and tab as `\n` `\r` `\t`, other control characters as `\u00XX`, and everything else as UTF-8.
    ///
    /// The result never holds a raw line break, so it is safe inside one line of JSON Lines or a log line.
    public static func appendStringLiteral(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `text` as a JSON string literal, escaped as ``appendStringLiteral(_:to:)`` does.
    public static func stringLiteral(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 2)
        appendStringLiteral(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value as compact JSON: no whitespace between tokens, object keys sorted (so equal values give equal
    /// bytes), numbers written exactly, and `/` not escaped.
    public func compactJSON() throws -> [UInt8] {
        Array(try JSONValue.compactEncoder.encode(self))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static let compactEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
