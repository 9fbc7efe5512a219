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

    /// Installs the handler for the process (swift-log allows this once).
    public static func bootstrap(format: Format, level: Logger.Level) {
        Self.level.withLock { $0 = level }
        LoggingSystem.bootstrap { label in
            RelayLogHandler(label: label, format: format, output: .standardError)
        }
    }
}

/// A swift-log handler writing whole lines to a file handle, in ``RelayLogging/Format``.
public struct RelayLogHandler: LogHandler {
    let label: String
    let format: RelayLogging.Format
    let output: FileHandle
    /// Metadata set on this logger.
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(label: String, format: RelayLogging.Format, output: FileHandle) {
        self.label = label
        self.format = format
        self.output = output
    }

    /// The shared level (``RelayLogging/level``).
    public var logLevel: Logger.Level {
        get { RelayLogging.level.withLock { $0 } }
        set { RelayLogging.level.withLock { $0 = newValue } }
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
        let line = format == .json
            ? Self.json(level: event.level, label: label, message: "\(event.message)", metadata: merged, date: Date())
            : Self.text(level: event.level, label: label, message: "\(event.message)", metadata: merged, date: Date())
        output.write(Data((line + "\n").utf8))
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func text(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, date: Date) -> String {
        var line = "\(timestamp(date)) \(level) \(label): \(message)"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        return line
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
