import Synchronization

/// The bytes of request bodies held in memory at once, across every connection: a body is read only while the
/// budget has room for it, so `max-connections` × `max-body` can never exceed `max-buffered`, whatever the senders
/// do. A request that finds no room is answered 503 with `Retry-After` (Svix retries).
public final class BodyBudget: Sendable {
    private let limit: Int
    private let used = Mutex(0)

    /// A budget of `limit` bytes.
    public init(limit: Int) { self.limit = limit }

    /// Takes `count` bytes, or returns false (taking nothing) when that would pass the limit.
    func reserve(_ count: Int) -> Bool {
        used.withLock { used in
            guard used + count <= limit else { return false }
            used += count
            return true
        }
    }

    /// Gives `count` bytes back.
    func release(_ count: Int) { used.withLock { $0 -= count } }

    /// Bytes held now, for tests.
    public var inUse: Int { used.withLock { $0 } }
}
