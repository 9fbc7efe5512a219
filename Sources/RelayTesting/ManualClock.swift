import EngageEvents
import Foundation
import Synchronization

/// A clock that moves only when a test says so, for engine tests that must not wait for real time (backoff, lease
/// expiry); hand its ``relay`` to the code under test.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start`.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = Mutex(start) }

    /// The time now.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `interval` seconds.
    public func advance(by interval: TimeInterval) { current.withLock { $0 += interval } }

    /// Sets the clock to `date`.
    public func set(_ date: Date) { current.withLock { $0 = date } }

    /// This clock as the engine's ``RelayClock``.
    public var relay: RelayClock { RelayClock { self.now } }
}
