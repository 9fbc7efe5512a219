import EngageEvents
import Foundation
import RelayCore

/// Turns an event into one syslog message (RFC 5424 or RFC 3164), truncated to a transport's limit.
///
/// RFC 5424: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [engage@32473 eventId="…" tenant="…" messageId="…"
/// contactId="…"] MSG`, with TIMESTAMP the time the relay received the event (UTC, milliseconds), MSGID the event
/// type (printable ASCII, at most 32 characters), `tenant` and `contactId` present only when known, and MSG UTF-8
/// without a byte-order mark (RFC 5424's `MSG-ANY`: collectors read it as UTF-8 and JSON consumers choke on a BOM).
/// RFC 3164: `<PRI>Mmm dd hh:mm:ss HOSTNAME APP-NAME[PID]: MSG`, the time in the relay's local time zone.
struct SyslogFormatter: Sendable {
    /// The message format.
    enum Format: String, Sendable, Hashable, CaseIterable {
        case rfc5424, rfc3164
    }

    /// Facility names and codes, in code order of the standard list.
    static let facilities: [(name: String, code: Int)] =
        [
            ("kern", 0), ("user", 1), ("mail", 2), ("daemon", 3), ("auth", 4), ("syslog", 5), ("lpr", 6), ("news", 7),
            ("uucp", 8), ("cron", 9), ("authpriv", 10), ("ftp", 11),
        ] + (0...7).map { ("local\($0)", 16 + $0) }

    /// Severity names, indexed by code.
    static let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// The private enterprise number of the structured-data element (32473 is reserved for documentation).
    static let structuredDataID = "engage@32473"

    /// What marks a truncated message (UTF-8, 14 bytes).
    static let truncationMarker = Array("…[truncated]".utf8)

    /// Longest value of one structured-data parameter, in bytes, so the header always fits a datagram.
    static let maxParameterBytes = 256

    let format: Format
    /// `facility * 8 + severity`.
    let priority: Int
    let hostname: String
    let appName: String
    let processID: String
    /// The message text; `nil` for the payload as compact JSON.
    let template: EventTemplate?

    /// The message for `event`, at most `limit` bytes.
    func message(for event: EngageEvent, limit: Int) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(512)
        switch format {
        case .rfc5424: append5424Header(for: event, to: &header)
        case .rfc3164: append3164Header(for: event, to: &header)
        }
        let text = template.map { Array($0.render(event).utf8) } ?? SyslogFormatter.compactJSON(event.payload)
        if text.isEmpty && format == .rfc5424 { return SyslogFormatter.truncated(header, limit: limit) }
        header.append(UInt8(ascii: " "))
        return SyslogFormatter.truncated(header + text, limit: limit)
    }

    private func append5424Header(for event: EngageEvent, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "<\(priority)>1 ".utf8)
        bytes.append(contentsOf: event.receivedAt.formatted(SyslogFormatter.timestampStyle).utf8)
        for field in [hostname, appName, processID, SyslogFormatter.messageID(event.type.rawValue)] {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: field.utf8)
        }
        bytes.append(contentsOf: " [\(SyslogFormatter.structuredDataID)".utf8)
        let parameters: [(String, String?)] = [
            ("eventId", event.id), ("tenant", event.tenant), ("messageId", event.messageId),
            ("contactId", event.typedPayload.contactId),
        ]
        for case (let name, let value?) in parameters {
            bytes.append(contentsOf: " \(name)=\"".utf8)
            SyslogFormatter.appendEscaped(value, to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private func append3164Header(for event: EngageEvent, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: "<\(priority)>".utf8)
        bytes.append(contentsOf: SyslogFormatter.bsdTimestamp(event.receivedAt, in: .current).utf8)
        bytes.append(contentsOf: " \(hostname) \(appName.prefix(32))[\(processID)]:".utf8)
    }

    /// MSGID: the event type in printable ASCII (others become `_`), at most 32 characters, `-` when empty.
    static func messageID(_ type: String) -> String {
        let printable = type.unicodeScalars.prefix(32).map { (33...126).contains($0.value) ? Character($0) : "_" }
        return printable.isEmpty ? "-" : String(printable)
    }

    /// Appends a PARAM-VALUE with `"`, `\` and `]` escaped, cut to ``maxParameterBytes`` on a character boundary.
    static func appendEscaped(_ value: String, to bytes: inout [UInt8]) {
        for byte in truncated(Array(value.utf8), limit: maxParameterBytes, marker: []) {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") {
                bytes.append(UInt8(ascii: "\\"))
            }
            bytes.append(byte)
        }
    }

    /// `bytes` when they fit in `limit`; otherwise cut at a UTF-8 character boundary so that they and `marker` fit,
    /// then marked.
    static func truncated(_ bytes: [UInt8], limit: Int, marker: [UInt8] = truncationMarker) -> [UInt8] {
        guard bytes.count > limit else { return bytes }
        var end = max(0, limit - marker.count)
        // Back up over continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(bytes[..<end]) + marker.prefix(limit)
    }

    /// `Mmm dd hh:mm:ss` with the day space-padded, in `timeZone`, English month names whatever the locale.
    static func bsdTimestamp(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.month, .day, .hour, .minute, .second], from: date)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        let day = parts.day ?? 1
        return "\(months[(parts.month ?? 1) - 1]) \(day < 10 ? " \(day)" : "\(day)") "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }

    /// The payload as compact JSON (``JSONValue/compactJSON()``), `null` if it cannot be encoded.
    static func compactJSON(_ value: JSONValue) -> [UInt8] {
        (try? value.compactJSON()) ?? Array("null".utf8)
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
