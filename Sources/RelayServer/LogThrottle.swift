import Logging
import Synchronization

/// Lets a few lines of one kind through each second and counts the rest, so that a flood of refusals cannot fill
/// the disk or drown other lines; the count of lines held back is logged with the next line let through.
public final class LogThrottle: Sendable {
    private struct Window {
        var start = ContinuousClock.now
        var logged = 0
        var suppressed = 0
    }

    private let perSecond: Int
    private let window = Mutex(Window())

    /// At most `perSecond` lines a second.
    public init(perSecond: Int = 5) { self.perSecond = perSecond }

    /// Logs `message` at `level` unless this second's lines are spent; the first line of a new second carries
    /// `relay.suppressed`, the number held back since the last line.
    public func log(_ logger: Logger, _ level: Logger.Level, _ message: Logger.Message, metadata: Logger.Metadata) {
        let suppressed: Int? = window.withLock { window in
            let now = ContinuousClock.now
            if now - window.start >= .seconds(1) {
                window.start = now
                window.logged = 0
            }
            guard window.logged < perSecond else {
                window.suppressed += 1
                return nil
            }
            window.logged += 1
            defer { window.suppressed = 0 }
            return window.suppressed
        }
        guard let suppressed else { return }
        var metadata = metadata
        if suppressed > 0 { metadata["relay.suppressed"] = "\(suppressed)" }
        logger.log(level: level, message, metadata: metadata)
    }
}
