import Foundation

/// Reads a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
enum RetryAfter {
    /// The delay the header asks for, or `nil` when it is absent or unreadable; a date in the past means now.
    static func delay(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            // Absurdly long numbers are still "a long time"; the engine caps the backoff anyway.
            return .seconds(Int64(value.prefix(12)) ?? 0)
        }
        guard let date = httpDate(value) else { return nil }
        let interval = date.timeIntervalSince(now)
        return .seconds(interval > 0 ? Int64(interval.rounded(.up)) : 0)
    }

    /// Parses the IMF-fixdate form and the two obsolete forms recipients must accept.
    static func httpDate(_ text: String) -> Date? {
        // asctime pads single-digit days with a second space.
        let text = text.split(separator: " ").joined(separator: " ")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
