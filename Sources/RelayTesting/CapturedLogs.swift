import InMemoryLogging
import Logging
import Synchronization

/// Collects every log record (message and metadata, rendered as text) so tests can search what was logged.
///
/// Records are kept by swift-log's `InMemoryLogHandler`, one per label.
public final class CapturedLogs: Sendable {
    private let handlers = Mutex<[(label: String, handler: InMemoryLogHandler)]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger at `level` that writes into this capture.
    public func logger(label: String = "test", level: Logger.Level = .trace) -> Logger {
        let handler = self.handler(for: label)
        var logger = Logger(label: label) { _ in handler }
        logger.logLevel = level
        return logger
    }

    /// The records of the loggers labelled `label`, in the order they were logged.
    public func entries(label: String = "test") -> [InMemoryLogHandler.Entry] {
        handlers.withLock { handlers in handlers.first { $0.label == label }?.handler.entries ?? [] }
    }

    /// Every captured line, `LEVEL label: message key=value …`: label by label, each in the order logged.
    public var all: [String] {
        handlers.withLock { $0 }.flatMap { label, handler in
            handler.entries.map { entry in
                let rendered = entry.metadata.keys.sorted().map { "\($0)=\(entry.metadata[$0]!)" }
                    .joined(separator: " ")
                return "\(entry.level) \(label): \(entry.message) \(rendered)"
            }
        }
    }

    /// The handler for `label`; copies of it share its records.
    private func handler(for label: String) -> InMemoryLogHandler {
        handlers.withLock { handlers in
            if let existing = handlers.first(where: { $0.label == label }) { return existing.handler }
            let handler = InMemoryLogHandler()
            handlers.append((label, handler))
            return handler
        }
    }
}
