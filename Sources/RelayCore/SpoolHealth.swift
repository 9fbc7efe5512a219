import Synchronization

/// What ingest last learned about the spool's room, for readiness: an append refused as `full` marks the spool full
/// for a few seconds (a stored append clears it), so a load balancer sends traffic elsewhere while the spool drains
/// and comes back without needing traffic to find out.
public final class SpoolHealth: Sendable {
    private let refusedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let memory: Duration

    /// Remembers a refusal for `memory`.
    public init(memory: Duration = .seconds(5)) { self.memory = memory }

    /// Whether an append was refused for room within the last `memory`.
    public var isFull: Bool {
        refusedAt.withLock { at in at.map { ContinuousClock.now - $0 < memory } ?? false }
    }

    /// Records the outcome of one append.
    public func record(_ error: SpoolError?) {
        refusedAt.withLock { at in
            if let error {
                if error.code == .full { at = ContinuousClock.now }
            } else {
                at = nil
            }
        }
    }
}
