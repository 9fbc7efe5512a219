import Foundation

/// A source of the current time in Unix seconds, injectable so that tolerance checks can be tested.
public struct WebhookClock: Sendable {
    private let read: @Sendable () -> Int64

    /// Creates a clock that asks `now` for the current Unix time in seconds.
    public init(_ now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    /// The wall clock of this machine.
    public static var system: WebhookClock {
        WebhookClock { Int64(Date().timeIntervalSince1970.rounded(.down)) }
    }

    /// A clock that always reads `unixSeconds`.
    public static func fixed(_ unixSeconds: Int64) -> WebhookClock {
        WebhookClock { unixSeconds }
    }

    /// The current Unix time in seconds.
    public func now() -> Int64 {
        read()
    }
}
