import EngageEvents
import Foundation
import Logging
import Synchronization

/// The receiver's log output: one line per message on standard error, as text for people or as one JSON object per
/// line for collectors. The level can change while running (a config reload sets `log-level`).
public enum RelayLogging {
    /// The output format.
    public enum Format: String, Sendable, CaseIterable {
        /// `2026-01-02T03:04:05.678Z info engage-relay: message key=value …`
        case text
        /// `{"timestamp":…,"level":…,"logger":…,"message":…,"relay.sink":…}`
        case json
    }

    /// The level every handler made here logs at, shared so a reload can change it.
    public static let level = Mutex(Logger.Level.info)

    /// Installs the handler for the process (swift-log allows this once), writing to ``LogOutput/standardError``.
    ///
    /// Also ignores `SIGPIPE` for the process: a log reader that went away must make writes fail with `EPIPE`, which
    /// loses log lines, not end the receiver.
    public static func bootstrap(format: Format, level: Logger.Level) {
        _ = signal(SIGPIPE, SIG_IGN)
        Self.level.withLock { $0 = level }
        LogOutput.standardError.reportDropped { count in
            RelayLogHandler.line(
                level: .warning, label: "engage-relay", message: "log lines dropped: the log output was not keeping up",
                metadata: ["relay.dropped": "\(count)"], format: format, date: Date())
        }
        LoggingSystem.bootstrap { label in
            RelayLogHandler(label: label, format: format, output: .standardError)
        }
    }
}

/// A swift-log handler writing whole lines to a ``LogOutput``, in ``RelayLogging/Format``. In text, control
/// characters in the message and in metadata (CR and LF above all) are escaped, so one call is always one line.
public struct RelayLogHandler: LogHandler {
    let label: String
    let format: RelayLogging.Format
    let output: LogOutput
    /// Metadata set on this logger.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(label: String, format: RelayLogging.Format, output: LogOutput) {
        self.label = label
        self.format = format
        self.output = output
    }

    /// A level set on this logger (and its copies) alone, overriding the shared one.
    private var ownLevel: Logger.Level?

    /// The shared level (``RelayLogging/level``, which a reload changes), unless set on this logger: setting it
    /// changes this logger and its later copies only, never the process's level.
    public var logLevel: Logger.Level {
        get { ownLevel ?? RelayLogging.level.withLock { $0 } }
        set { ownLevel = newValue }
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        output.write(
            Self.line(
                level: event.level, label: label, message: "\(event.message)", metadata: merged, format: format,
                date: Date()) + "\n")
    }

    /// One log line, without its newline.
    static func line(
        level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, format: RelayLogging.Format,
        date: Date
    ) -> String {
        format == .json
            ? json(level: level, label: label, message: message, metadata: metadata, date: date)
            : text(level: level, label: label, message: message, metadata: metadata, date: date)
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func text(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, date: Date) -> String {
        var line = "\(timestamp(date)) \(level) \(label): \(escapingControls(message))"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " \(escapingControls(key))=\(escapingControls("\(value)"))"
        }
        return line
    }

    /// `text` with CR, LF and tab written as `\r`, `\n`, `\t` (a backslash and a letter) and other control characters
    /// as `\u{…}`, so a value (a child's output, say) can never start a forged log line.
    static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where isControl(scalar): escaped += "\\u{\(String(scalar.value, radix: 16))}"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    static func json(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, date: Date) -> String {
        var fields = [
            "\"timestamp\":\(quoted(timestamp(date)))", "\"level\":\(quoted(level.rawValue))",
            "\"logger\":\(quoted(label))", "\"message\":\(quoted(message))",
        ]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key })
        where !["timestamp", "level", "logger", "message"].contains(key) {
            fields.append("\(quoted(key)):\(jsonValue(value))")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func jsonValue(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let values): "[" + values.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let entries):
            "{" + entries.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\(jsonValue($0.value))" }
                .joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (RFC 8259 escaping).
    static func quoted(_ text: String) -> String {
        JSONValue.stringLiteral(text)
    }
}
