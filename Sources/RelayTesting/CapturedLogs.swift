import Logging
import Synchronization

/// Collects every log record (message and metadata, rendered as text) so tests can search what was logged.
public final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger at `level` that writes into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { label in CapturingHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }

    /// Every captured line: `LEVEL label: message key=value …`.
    public var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

struct CapturingHandler: LogHandler {
    let label: String
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
        sink.append("\(event.level) \(label): \(event.message) \(rendered)")
    }
}
