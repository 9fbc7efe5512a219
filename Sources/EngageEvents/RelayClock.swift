import Foundation

/// The one source of the current time in engage-relay, injectable so that time-dependent behaviour (signature
/// tolerance, backoff, leases, rotation) can be tested: the verifier, the dispatcher and every sink read it.
public struct RelayClock: Sendable {
    private let read: @Sendable () -> Date

    /// Creates a clock that asks `now` for the current time.
    public init(_ now: @escaping @Sendable () -> Date) { self.read = now }

    /// The wall clock of this machine.
    public static var system: RelayClock { RelayClock { Date() } }

    /// A clock that always reads `date`.
    public static func fixed(_ date: Date) -> RelayClock { RelayClock { date } }

    /// A clock that always reads `unixSeconds`.
    public static func fixed(_ unixSeconds: Int64) -> RelayClock {
        fixed(Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    /// The current time.
    public func now() -> Date { read() }

    /// The current Unix time in whole seconds (rounded down), as signature timestamps count it.
    /// Clamped to `Int64`'s range, so a clock set to an extreme never traps.
    public func unixSeconds() -> Int64 {
        let seconds = now().timeIntervalSince1970.rounded(.down)
        guard seconds < Double(Int64.max) else { return .max }
        guard seconds > Double(Int64.min) else { return .min }
        return Int64(seconds)
    }
}
