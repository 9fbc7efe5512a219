import ServiceLifecycle
import Synchronization

/// Set when graceful shutdown begins, so requests still arriving on open connections get 503 instead of work.
public final class DrainState: Sendable {
    private let draining = Mutex(false)

    /// Creates a state that is not draining.
    public init() {}

    /// Whether shutdown has begun.
    public var isDraining: Bool { draining.withLock { $0 } }

    /// Starts draining.
    public func begin() { draining.withLock { $0 = true } }
}

/// A service that flips a ``DrainState`` when graceful shutdown reaches it; list it after the HTTP server so it is
/// told first (a service group shuts services down in reverse order).
public struct DrainService: Service {
    let state: DrainState

    /// Creates the service for `state`.
    public init(state: DrainState) { self.state = state }

    /// Waits for graceful shutdown, then starts draining.
    public func run() async throws {
        try? await gracefulShutdown()
        state.begin()
    }
}
