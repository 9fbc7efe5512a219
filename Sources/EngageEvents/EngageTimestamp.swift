import Foundation

/// A date-time as Engage sends it, with its UTC offset kept (`2024-12-31T23:59:59.999+01:00`).
public struct EngageTimestamp: Sendable, Hashable, CustomStringConvertible {
    /// The text exactly as it arrived.
    public let text: String
    /// The instant.
    public let date: Date
    /// The offset from UTC written in the text, in seconds (0 for `Z`).
    public let utcOffsetSeconds: Int

    /// Parses an ISO 8601 date-time with `Z` or a `±HH:MM` offset, with or without fractional seconds.
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parsed =
            (try? Date(trimmed, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(trimmed, strategy: Date.ISO8601FormatStyle()))
        guard let date = parsed, let offset = Self.offset(of: trimmed) else { return nil }
        self.text = text
        self.date = date
        self.utcOffsetSeconds = offset
    }

    /// The text as it arrived.
    public var description: String { text }

    static func offset(of text: String) -> Int? {
        if text.hasSuffix("Z") || text.hasSuffix("z") { return 0 }
        let tail = text.suffix(6)
        guard tail.count == 6, let sign = tail.first, sign == "+" || sign == "-",
            let hours = Int(tail.dropFirst().prefix(2)), tail.dropFirst(3).first == ":",
            let minutes = Int(tail.suffix(2))
        else { return nil }
        return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }
}
